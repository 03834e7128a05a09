package io.parhelia.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A server process driven with raw JSON-RPC lines; records every line it writes to stdout. */
final class RawStdioSession implements AutoCloseable {

    private static final ObjectMapper json = new ObjectMapper();

    final Process process;
    private final OutputStream stdin;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> transcript = Collections.synchronizedList(new ArrayList<>());

    RawStdioSession(Process process) {
        this.process = process;
        this.stdin = process.getOutputStream();
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                    transcript.add(line);
                    lines.add(line);
                }
            } catch (IOException e) {
                // the process ended
            }
        }, "raw-stdio-reader");
        reader.setDaemon(true);
        reader.start();
    }

    void sendLine(String line) throws IOException {
        stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        stdin.flush();
    }

    void send(Map<String, Object> message) throws IOException {
        sendLine(json.writeValueAsString(message));
    }

    void request(int id, String method, Map<String, Object> params) throws IOException {
        send(Map.of("jsonrpc", "2.0", "id", id, "method", method, "params", params));
    }

    /** Sends initialize and notifications/initialized, returning the initialize reply. */
    JsonNode initialize() throws Exception {
        request(0, "initialize", Map.of("protocolVersion", "2025-11-25", "capabilities", Map.of(),
                "clientInfo", Map.of("name", "raw-it", "version", "1")));
        JsonNode reply = next(Duration.ofSeconds(30));
        send(Map.of("jsonrpc", "2.0", "method", "notifications/initialized"));
        return reply;
    }

    /** The next line the server writes, as JSON. */
    JsonNode next(Duration timeout) throws Exception {
        String line = lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (line == null) {
            throw new AssertionError("no line from the server within " + timeout);
        }
        return json.readTree(line);
    }

    void closeStdin() throws IOException {
        stdin.close();
    }

    /** Every line written to stdout so far. */
    List<String> transcript() {
        synchronized (transcript) {
            return List.copyOf(transcript);
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
