package io.parhelia.stdio;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Splits stdin into newline-terminated lines without ever holding more than {@code maxLineBytes}
 * of one line: the rest of an over-long line is read and dropped, so a huge or unterminated
 * message costs no memory. A trailing "\r" is removed; a last line without a newline still counts.
 */
final class BoundedLineReader {

    /** One line of stdin; {@code bytes} is null when the line was longer than the limit. */
    record Line(byte[] bytes) {
        boolean oversized() {
            return bytes == null;
        }
    }

    private final InputStream in;
    private final int maxLineBytes;
    private final byte[] buffer = new byte[8192];
    private int bufferPosition;
    private int bufferLimit;

    BoundedLineReader(InputStream in, int maxLineBytes) {
        this.in = in;
        this.maxLineBytes = maxLineBytes;
    }

    /** The next line, or null at end of input. */
    Line next() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        boolean oversized = false;
        boolean sawAnyByte = false;
        while (true) {
            if (bufferPosition == bufferLimit && !fill()) {
                if (!sawAnyByte) {
                    return null;
                }
                return finish(line, oversized);
            }
            sawAnyByte = true;
            int newline = indexOfNewline();
            int chunkEnd = newline < 0 ? bufferLimit : newline;
            int chunkLength = chunkEnd - bufferPosition;
            if (!oversized && line.size() + chunkLength > maxLineBytes + 1) {
                oversized = true;
                line = new ByteArrayOutputStream();
            }
            if (!oversized) {
                line.write(buffer, bufferPosition, chunkLength);
            }
            if (newline >= 0) {
                bufferPosition = newline + 1;
                return finish(line, oversized);
            }
            bufferPosition = bufferLimit;
        }
    }

    private Line finish(ByteArrayOutputStream line, boolean oversized) {
        if (oversized) {
            return new Line(null);
        }
        byte[] bytes = line.toByteArray();
        int length = bytes.length;
        if (length > 0 && bytes[length - 1] == '\r') {
            length--;
        }
        if (length > maxLineBytes) {
            return new Line(null);
        }
        return new Line(length == bytes.length ? bytes : Arrays.copyOf(bytes, length));
    }

    private int indexOfNewline() {
        for (int i = bufferPosition; i < bufferLimit; i++) {
            if (buffer[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private boolean fill() throws IOException {
        int read = in.read(buffer, 0, buffer.length);
        while (read == 0) {
            read = in.read(buffer, 0, buffer.length);
        }
        if (read < 0) {
            return false;
        }
        bufferPosition = 0;
        bufferLimit = read;
        return true;
    }
}
