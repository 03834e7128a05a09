package io.parhelia.stdio;

import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The SDK's stdin: only lines that passed the filter are offered here, and end of input is
 * signalled only when {@link StdioServer} decides to stop. The queue is unbounded on purpose: the
 * stdin reader must never block on a stalled SDK, or it could not notice end of file and the
 * process could not shut down.
 */
final class SdkInputFeed extends InputStream {

    private static final byte[] END_OF_INPUT = new byte[0];

    private final BlockingQueue<byte[]> chunks = new LinkedBlockingQueue<>();
    private final CountDownLatch endConsumed = new CountDownLatch(1);
    private byte[] current;
    private int position;
    private boolean ended;

    /** Queues one complete line; the caller includes the terminating newline. */
    void offerLine(byte[] lineWithNewline) {
        chunks.add(lineWithNewline);
    }

    /** After the lines already queued, the SDK reads end of file. */
    void endInput() {
        chunks.add(END_OF_INPUT);
    }

    /** Waits until the SDK has read end of input, which means its reader loop has finished. */
    boolean awaitEndConsumed(Duration timeout) throws InterruptedException {
        return endConsumed.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public int read() throws InterruptedIOException {
        byte[] single = new byte[1];
        int read = read(single, 0, 1);
        return read < 0 ? -1 : single[0] & 0xff;
    }

    @Override
    public synchronized int read(byte[] target, int offset, int length) throws InterruptedIOException {
        if (length == 0) {
            return 0;
        }
        if (!awaitData()) {
            return -1;
        }
        int count = Math.min(length, current.length - position);
        System.arraycopy(current, position, target, offset, count);
        position += count;
        return count;
    }

    @Override
    public synchronized int available() {
        return current == null || ended ? 0 : current.length - position;
    }

    private boolean awaitData() throws InterruptedIOException {
        while (!ended && (current == null || position == current.length)) {
            try {
                current = chunks.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for input");
            }
            position = 0;
            ended = current == END_OF_INPUT;
        }
        if (ended) {
            endConsumed.countDown();
        }
        return !ended;
    }
}
