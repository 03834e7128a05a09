package io.parhelia.stdio;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

class LineAtomicOutputTest {

    @Test
    void sdkMessagesWrittenInPiecesNeverInterleaveWithOwnLines() throws Exception {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        List<String> answered = new CopyOnWriteArrayList<>();
        LineAtomicOutput output = new LineAtomicOutput(new ByteByByteStream(stdout), answered::add, () -> {
        });
        int messagesPerWriter = 300;
        ExecutorService writers = Executors.newFixedThreadPool(4);
        try {
            List<CompletableFuture<Void>> done = new ArrayList<>();
            done.add(CompletableFuture.runAsync(() -> {
                for (int i = 0; i < messagesPerWriter; i++) {
                    writeLikeTheSdk(output, "{\"jsonrpc\":\"2.0\",\"id\":" + i + ",\"result\":{\"text\":\"" + "s".repeat(50) + "\"}}");
                }
            }, writers));
            for (int writer = 0; writer < 3; writer++) {
                done.add(CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < messagesPerWriter; i++) {
                        output.writeLine("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"" + "o".repeat(50) + "\"}}");
                    }
                }, writers));
            }
            CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).join();
        } finally {
            writers.shutdown();
        }

        String[] lines = stdout.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(lines).hasSize(4 * messagesPerWriter);
        assertThat(lines).allSatisfy(line -> assertThat(line).matches(
                "\\{\"jsonrpc\":\"2.0\",\"id\":\\d+,\"result\":\\{\"text\":\"s{50}\"}}"
                        + "|\\{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":\\{\"code\":-32700,\"message\":\"o{50}\"}}"));
        assertThat(answered).hasSize(messagesPerWriter).contains("n:0", "n:" + (messagesPerWriter - 1));
    }

    @Test
    void reportsOnlyResponsesAsAnswered() {
        assertThat(LineAtomicOutput.answeredIdKey(bytes("{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{}}"))).isEqualTo("n:7");
        assertThat(LineAtomicOutput.answeredIdKey(bytes("{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"error\":{\"code\":1}}")))
                .isEqualTo("s:a");
        assertThat(LineAtomicOutput.answeredIdKey(bytes("{\"jsonrpc\":\"2.0\",\"result\":{\"id\":3},\"id\":3.0}")))
                .isEqualTo("n:3");
        assertThat(LineAtomicOutput.answeredIdKey(bytes("{\"jsonrpc\":\"2.0\",\"id\":\"x-1\",\"method\":\"roots/list\"}")))
                .isNull();
        assertThat(LineAtomicOutput.answeredIdKey(bytes("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\"}")))
                .isNull();
    }

    @Test
    void reportsFailureAndStopsWritingWhenStdoutBreaks() {
        List<String> failures = new ArrayList<>();
        LineAtomicOutput output = new LineAtomicOutput(new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("Broken pipe");
            }
        }, key -> { }, () -> failures.add("failed"));

        output.writeLine("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"x\"}}");
        output.writeLine("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"y\"}}");

        assertThat(output.hasFailed()).isTrue();
        assertThat(failures).containsExactly("failed");
    }

    /** Writes the way the SDK 2.1.0 stdio transport does: message, newline, flush, under the stream's monitor. */
    private static void writeLikeTheSdk(OutputStream output, String json) {
        byte[] message = bytes(json);
        int half = message.length / 2;
        try {
            synchronized (output) {
                output.write(message, 0, half);
                output.write(message, half, message.length - half);
                output.write(bytes("\n"));
                output.flush();
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** A stdout that takes one byte per call, so that any unlocked writer would interleave. */
    private static final class ByteByByteStream extends OutputStream {

        private final ByteArrayOutputStream target;

        ByteByByteStream(ByteArrayOutputStream target) {
            this.target = target;
        }

        @Override
        public void write(int b) {
            synchronized (target) {
                target.write(b);
            }
        }

        @Override
        public void write(byte[] bytes, int offset, int length) {
            for (int i = offset; i < offset + length; i++) {
                write(bytes[i]);
            }
            Thread.yield();
        }
    }
}
