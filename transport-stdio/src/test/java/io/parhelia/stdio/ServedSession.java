package io.parhelia.stdio;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.spec.McpServerTransportProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Runs {@link StdioServer#serve} in-process on its own thread, with an OS pipe as stdin and a
 * line-collecting stream as stdout, so tests speak raw JSON-RPC lines to it.
 */
final class ServedSession implements AutoCloseable {

    static final Duration REPLY_TIMEOUT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final OutputStream stdin;
    private final CollectingStdout stdout = new CollectingStdout();
    private final CompletableFuture<ExitReason> exit = new CompletableFuture<>();
    private final Thread serveThread;

    private ServedSession(Function<McpServerTransportProvider, McpSyncServer> bind, Duration drainGrace,
                          int maxLineBytes) throws IOException {
        Pipe pipe = Pipe.open();
        stdin = Channels.newOutputStream(pipe.sink());
        var serverStdin = Channels.newInputStream(pipe.source());
        serveThread = new Thread(() -> {
            try {
                exit.complete(StdioServer.serve(bind, serverStdin, stdout, drainGrace, maxLineBytes));
            } catch (Throwable t) {
                exit.completeExceptionally(t);
            }
        }, "test-serve");
        serveThread.start();
    }

    static ServedSession start(Function<McpServerTransportProvider, McpSyncServer> bind, Duration drainGrace) {
        return start(bind, drainGrace, StdioServer.DEFAULT_MAX_LINE_BYTES);
    }

    static ServedSession start(Function<McpServerTransportProvider, McpSyncServer> bind, Duration drainGrace,
                               int maxLineBytes) {
        try {
            return new ServedSession(bind, drainGrace, maxLineBytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Thread serveThread() {
        return serveThread;
    }

    ServedSession send(String line) {
        return sendBytes((line + "\n").getBytes(StandardCharsets.UTF_8));
    }

    ServedSession sendBytes(byte[] bytes) {
        try {
            stdin.write(bytes);
            stdin.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** Sends the standard handshake and waits for the initialize reply. */
    ServedSession handshake() {
        send(JsonRpcLines.initialize("init"));
        awaitReply("init");
        return send(JsonRpcLines.initialized());
    }

    void closeStdin() {
        try {
            stdin.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    JsonNode awaitReply(Object id) {
        return awaitMessage(message -> hasId(message, id));
    }

    JsonNode awaitMessage(Predicate<JsonNode> matcher) {
        return await().atMost(REPLY_TIMEOUT).until(() -> findMessage(matcher), Optional::isPresent).orElseThrow();
    }

    Optional<JsonNode> findMessage(Predicate<JsonNode> matcher) {
        return messages().stream().filter(matcher).findFirst();
    }

    /** Every stdout line parsed as JSON; a line that is not JSON fails the test. */
    List<JsonNode> messages() {
        return stdout.lines().stream().map(ServedSession::parse).toList();
    }

    List<String> stdoutLines() {
        return stdout.lines();
    }

    CompletableFuture<ExitReason> exit() {
        return exit;
    }

    ExitReason awaitExit(Duration atMost) {
        await().atMost(atMost).until(exit::isDone);
        return exit.join();
    }

    static boolean hasId(JsonNode message, Object id) {
        JsonNode actual = message.get("id");
        if (actual == null || !(message.has("result") || message.has("error"))) {
            return false;
        }
        return id instanceof String text ? text.equals(actual.textValue()) : actual.isNumber()
                && actual.asText().equals(String.valueOf(id));
    }

    private static JsonNode parse(String line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            throw new AssertionError("stdout carried a line that is not JSON: " + line, e);
        }
    }

    @Override
    public void close() {
        closeStdin();
        awaitExit(Duration.ofSeconds(15));
    }

    /** Collects complete stdout lines; a line only counts once its newline arrives. */
    private static final class CollectingStdout extends OutputStream {

        private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
        private final List<String> lines = new CopyOnWriteArrayList<>();

        @Override
        public synchronized void write(int b) {
            if (b == '\n') {
                lines.add(partial.toString(StandardCharsets.UTF_8));
                partial.reset();
            } else {
                partial.write(b);
            }
        }

        @Override
        public synchronized void write(byte[] bytes, int offset, int length) {
            for (int i = offset; i < offset + length; i++) {
                write(bytes[i]);
            }
        }

        List<String> lines() {
            return List.copyOf(lines);
        }
    }
}
