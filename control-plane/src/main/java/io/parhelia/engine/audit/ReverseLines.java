package io.parhelia.engine.audit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;

/**
 * Reads a file's lines from a given end towards its start, a block at a time, so the newest
 * entries of a large log are found without reading the rest.
 */
final class ReverseLines {

    private static final int BLOCK = 64 * 1024;

    private final FileChannel channel;
    private final boolean endsWithNewline;
    /** Bytes before this offset have not been read yet. */
    private long readFrom;
    /** Read but not yet returned: the file's bytes from {@link #readFrom} up to {@link #cursor}. */
    private byte[] pending = new byte[0];
    /** The end of the next line to return (after its newline, if any). */
    private long cursor;

    ReverseLines(FileChannel channel, long end) throws IOException {
        this.channel = channel;
        this.readFrom = end;
        this.cursor = end;
        this.endsWithNewline = end == 0 || byteAt(end - 1) == '\n';
    }

    /** Whether the bytes up to the given end finish with a newline (a last line not cut short). */
    boolean endsWithNewline() {
        return endsWithNewline;
    }

    /** Where the line last returned by {@link #previous} starts; the end to resume from. */
    long position() {
        return cursor;
    }

    /** The line before the position, without its newline; null at the start of the file. */
    byte[] previous() throws IOException {
        if (cursor == 0) {
            return null;
        }
        int lineEnd = pending.length;
        if (lineEnd == 0) {
            readBlock();
            lineEnd = pending.length;
        }
        if (pending[lineEnd - 1] == '\n') {
            lineEnd--;
        }
        while (true) {
            for (int i = lineEnd - 1; i >= 0; i--) {
                if (pending[i] == '\n') {
                    byte[] line = Arrays.copyOfRange(pending, i + 1, lineEnd);
                    pending = Arrays.copyOf(pending, i + 1);
                    cursor = readFrom + i + 1;
                    return line;
                }
            }
            if (readFrom == 0) {
                byte[] line = Arrays.copyOf(pending, lineEnd);
                pending = new byte[0];
                cursor = 0;
                return line;
            }
            int before = pending.length;
            readBlock();
            lineEnd += pending.length - before;
        }
    }

    /** Puts the block before {@link #readFrom} in front of what is pending. */
    private void readBlock() throws IOException {
        int length = (int) Math.min(BLOCK, readFrom);
        long start = readFrom - length;
        ByteBuffer block = ByteBuffer.allocate(length + pending.length).limit(length);
        while (block.hasRemaining()) {
            if (channel.read(block, start + block.position()) < 0) {
                throw new IOException("the file shrank while being read");
            }
        }
        block.limit(block.capacity()).put(pending);
        pending = block.array();
        readFrom = start;
    }

    private byte byteAt(long offset) throws IOException {
        ByteBuffer one = ByteBuffer.allocate(1);
        if (channel.read(one, offset) != 1) {
            throw new IOException("cannot read offset " + offset);
        }
        return one.get(0);
    }
}
