package io.parhelia.stdio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Runs the server in a child JVM on real stdin/stdout. */
class StdioServerProcessTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void childJvmExitsPromptlyOnEndOfInputWithARequestHeldBeforeInitialize() throws Exception {
        Process child = new ProcessBuilder(javaCommand())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try {
            List<String> stdoutLines = new CopyOnWriteArrayList<>();
            Thread drainer = new Thread(() -> readLines(child, stdoutLines), "test-child-stdout");
            drainer.setDaemon(true);
            drainer.start();
            OutputStream stdin = child.getOutputStream();

            // A server/discover probe is answered by our filter, which proves the child is serving.
            writeLine(stdin, "{\"jsonrpc\":\"2.0\",\"id\":\"probe\",\"method\":\"server/discover\"}");
            await().atMost(Duration.ofSeconds(20)).until(() -> stdoutLines.stream().anyMatch(l -> l.contains("probe")));
            writeLine(stdin, JsonRpcLines.toolsList(1));
            long closedAt = System.nanoTime();
            stdin.close();

            boolean exited = child.waitFor(10, TimeUnit.SECONDS);
            Duration exitDelay = Duration.ofNanos(System.nanoTime() - closedAt);

            assertThat(exited).as("child JVM exited after stdin closed").isTrue();
            assertThat(child.exitValue()).isZero();
            assertThat(exitDelay).isLessThan(Duration.ofMillis(3500));
            drainer.join(Duration.ofSeconds(5).toMillis());
            assertThat(stdoutLines).allSatisfy(line -> assertThat(parse(line).path("jsonrpc").asText()).isEqualTo("2.0"));
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void theSdkClientTalksToTheChildServer() {
        List<String> command = javaCommand();
        ServerParameters parameters = ServerParameters.builder(command.get(0))
                .args(command.subList(1, command.size()))
                .build();
        StdioClientTransport transport = new StdioClientTransport(parameters, McpJsonDefaults.getMapper());
        McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(20)).build();
        try {
            client.initialize();

            List<String> toolNames = client.listTools().tools().stream().map(Tool::name).toList();
            CallToolResult result = client.callTool(CallToolRequest.builder("echo")
                    .arguments(Map.of("message", "from the SDK client"))
                    .build());

            assertThat(toolNames).contains("echo");
            assertThat(result.content()).singleElement()
                    .isInstanceOfSatisfying(TextContent.class,
                            text -> assertThat(text.text()).isEqualTo("from the SDK client"));
        } finally {
            client.closeGracefully();
        }
    }

    private static List<String> javaCommand() {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return List.of(java, "-cp", System.getProperty("java.class.path"), StdioServerChildMain.class.getName());
    }

    private static void writeLine(OutputStream stdin, String line) throws IOException {
        stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        stdin.flush();
    }

    private static void readLines(Process child, List<String> sink) {
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                sink.add(line);
            }
        } catch (IOException e) {
            sink.add("<stdout read failed: " + e + ">");
        }
    }

    private static JsonNode parse(String line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            throw new AssertionError("child stdout carried a line that is not JSON: " + line, e);
        }
    }
}
