package io.parhelia.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One {@code parhelia mcp-server} process spoken to in raw JSON-RPC lines: no client library between
 * the measurement and the pipe. Stdout lines are queued with the {@link System#nanoTime()} of their
 * arrival; stderr goes to a file, and the arrival time of the first stderr line containing each of
 * the {@link #STDERR_MARKS} is kept, for a rough split of start-up time.
 */
final class ServerProcess implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();

    /** Log lines of the server whose arrival time says where start-up time goes. */
    static final Map<String, String> STDERR_MARKS = Map.of(
            "migrated", "store migrated",            // Engine.open: the SQLite store is ready
            "serving MCP", "serving");               // McpServerCommand: about to read stdin

    record Line(long nanos, String text) {
    }

    final Process process;
    final long spawnNanos;
    private final OutputStream stdin;
    private final LinkedBlockingQueue<Line> stdout = new LinkedBlockingQueue<>();
    final Map<String, Long> marks = new ConcurrentHashMap<>();
    private final Thread stdoutReader;
    private final Thread stderrReader;
    private final Path stderrFile;
    private boolean stdinClosed;

    private ServerProcess(Process process, long spawnNanos, Path stderrFile) {
        this.process = process;
        this.spawnNanos = spawnNanos;
        this.stdin = process.getOutputStream();
        this.stderrFile = stderrFile;
        this.stdoutReader = daemon("bench-stdout", () -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    stdout.add(new Line(System.nanoTime(), line));
                }
            } catch (IOException ignored) {
                // the process went away
            }
        });
        this.stderrReader = daemon("bench-stderr", () -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8));
                 PrintWriter out = new PrintWriter(Files.newBufferedWriter(stderrFile, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    long now = System.nanoTime();
                    for (Map.Entry<String, String> mark : STDERR_MARKS.entrySet()) {
                        if (line.contains(mark.getKey())) {
                            marks.putIfAbsent(mark.getValue(), now);
                        }
                    }
                    out.println(line);
                }
            } catch (IOException ignored) {
                // the process went away
            }
        });
    }

    private static Thread daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Starts {@code command} with exactly {@code env} (nothing inherited); the clock starts just before the spawn. */
    static ServerProcess start(List<String> command, Map<String, String> env, Path workingDir, Path stderrFile) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(workingDir.toFile());
        builder.environment().clear();
        builder.environment().putAll(env);
        long t0 = System.nanoTime();
        Process p = builder.start();
        return new ServerProcess(p, t0, stderrFile);
    }

    void send(JsonNode message) throws IOException {
        byte[] bytes = (JSON.writeValueAsString(message) + "\n").getBytes(StandardCharsets.UTF_8);
        stdin.write(bytes);
        stdin.flush();
    }

    /** Waits for the response to request {@code id}, skipping notifications and other responses. */
    Line awaitResponse(long id, Duration timeout) throws IOException, InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            Line line = left <= 0 ? null : stdout.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)), TimeUnit.NANOSECONDS);
            if (line == null && left > 0 && process.isAlive()) {
                continue;
            }
            if (line == null) {
                stdoutReader.join(1000);
                line = stdout.poll(); // the reply may have come just before the exit
            }
            if (line == null) {
                throw new TimeoutException("no response to request " + id
                        + (process.isAlive() ? " within " + timeout : ": the server exited with " + process.exitValue()
                        + "; its stderr is in " + stderrFile));
            }
            JsonNode node = JSON.readTree(line.text());
            if (node.path("id").isNumber() && node.path("id").asLong() == id) {
                if (node.has("error")) {
                    throw new IOException("request " + id + " failed: " + node.get("error"));
                }
                return line;
            }
        }
    }

    void closeStdin() {
        if (!stdinClosed) {
            stdinClosed = true;
            try {
                stdin.close();
            } catch (IOException ignored) {
                // already gone
            }
        }
    }

    /** Closes stdin and waits for the exit; a process that outstays {@code timeout} is killed, and that is an error. */
    long closeAndAwaitExit(Duration timeout) throws InterruptedException, TimeoutException {
        closeStdin();
        long t = System.nanoTime();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            kill();
            throw new TimeoutException("the server did not exit within " + timeout + " of its stdin closing; killed");
        }
        long exitNanos = System.nanoTime() - t;
        stdoutReader.join(2000);
        stderrReader.join(2000);
        return exitNanos;
    }

    void kill() throws InterruptedException {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        closeStdin();
        if (process.isAlive() && !process.waitFor(10, TimeUnit.SECONDS)) {
            kill();
        }
    }

    // ---- JSON-RPC messages ----

    static ObjectNode initialize(long id) {
        ObjectNode params = JSON.createObjectNode();
        params.put("protocolVersion", "2025-06-18");
        params.putObject("capabilities");
        params.putObject("clientInfo").put("name", "parhelia-bench").put("version", "1");
        return request(id, "initialize", params);
    }

    static ObjectNode initialized() {
        ObjectNode n = JSON.createObjectNode();
        n.put("jsonrpc", "2.0");
        n.put("method", "notifications/initialized");
        return n;
    }

    static ObjectNode toolsList(long id) {
        return request(id, "tools/list", JSON.createObjectNode());
    }

    static ObjectNode toolCall(long id, String tool, Map<String, Object> arguments) {
        ObjectNode params = JSON.createObjectNode();
        params.put("name", tool);
        params.set("arguments", JSON.valueToTree(arguments));
        return request(id, "tools/call", params);
    }

    private static ObjectNode request(long id, String method, ObjectNode params) {
        ObjectNode n = JSON.createObjectNode();
        n.put("jsonrpc", "2.0");
        n.put("id", id);
        n.put("method", method);
        n.set("params", params);
        return n;
    }
}
