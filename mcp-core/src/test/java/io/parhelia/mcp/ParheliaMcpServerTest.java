package io.parhelia.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.parhelia.mcp.ToolSpec.Hints;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ParheliaMcpServerTest {

    private static final ObjectMapper json = new ObjectMapper();

    record Echo(String said, int times) {
    }

    private static final Map<String, Object> INPUT = Map.of(
            "type", "object",
            "properties", Map.of(
                    "say", Map.of("type", "string", "minLength", 1),
                    "times", Map.of("type", "integer", "minimum", 1, "maximum", 3)),
            "required", List.of("say"),
            "additionalProperties", false);
    private static final Map<String, Object> OUTPUT = Map.of(
            "type", "object",
            "properties", Map.of("said", Map.of("type", "string"), "times", Map.of("type", "integer")),
            "required", List.of("said", "times"));

    private static ToolSpec tool(String name, Scope scope, ToolHandler handler) {
        return new ToolSpec(name, "Title of " + name, "Does " + name + ".", INPUT, OUTPUT,
                new Hints(false, true, true, false), scope, handler);
    }

    private static final List<ToolSpec> TOOLS = List.of(
            tool("echo", Scope.READ, call -> {
                call.progress(1, 2.0, "halfway");
                return new Echo(call.string("say"), call.integer("times") == null ? 1 : call.integer("times"));
            }),
            tool("guarded", Scope.TASKS, call -> new Echo("ran", 1)),
            tool("refuses", Scope.READ, call -> {
                throw new ToolError("invalid_state", "say", "cannot say " + call.string("say") + " now; wait and retry");
            }),
            tool("breaks", Scope.READ, call -> {
                throw new IllegalStateException("secret internal detail /etc/shadow");
            }),
            tool("strays", Scope.READ, call -> Map.of("said", 42)));

    private static PipedMcpSession session(Caller caller) throws Exception {
        return session(caller, true);
    }

    private static PipedMcpSession session(Caller caller, boolean checkResults) throws Exception {
        return new PipedMcpSession(ParheliaMcpServer.builder().serverInfo("parhelia-test", "9.9")
                .instructions("how to use it").tools(TOOLS).callers(context -> caller).checkResults(checkResults).build());
    }

    @Test
    void aResultIsStructuredContentAndTheSameJsonAsText() throws Exception {
        try (PipedMcpSession s = session(Caller.localUser())) {
            JsonNode result = s.callTool("echo", Map.of("say", "hi", "times", 2));
            assertThat(result.has("isError") && result.get("isError").asBoolean()).isFalse();
            assertThat(result.get("structuredContent")).isEqualTo(json.readTree("{\"said\":\"hi\",\"times\":2}"));
            assertThat(json.readTree(result.at("/content/0/text").asText())).isEqualTo(result.get("structuredContent"));
        }
    }

    @Test
    void aResultThatStraysFromTheOutputSchemaIsAnInternalErrorWhenResultsAreChecked() throws Exception {
        try (PipedMcpSession checked = session(Caller.localUser(), true)) {
            JsonNode result = checked.callTool("strays", Map.of("say", "x"));
            assertThat(result.get("isError").asBoolean()).isTrue();
            assertThat(result.at("/structuredContent/error/code").asText()).isEqualTo("internal_error");
            assertThat(result.at("/content/0/text").asText()).contains("strays failed unexpectedly (incident ");
        }
        try (PipedMcpSession unchecked = session(Caller.localUser(), false)) {
            JsonNode result = unchecked.callTool("strays", Map.of("say", "x"));
            assertThat(result.has("isError") && result.get("isError").asBoolean()).isFalse();
            assertThat(result.get("structuredContent")).isEqualTo(json.readTree("{\"said\":42}"));
            JsonNode echoed = unchecked.callTool("echo", Map.of("say", "hi"));
            assertThat(echoed.get("structuredContent")).isEqualTo(json.readTree("{\"said\":\"hi\",\"times\":1}"));
        }
    }

    @Test
    void toolsListCarriesSchemasAnnotationsAndTheRequiredScope() throws Exception {
        try (PipedMcpSession s = session(Caller.localUser())) {
            JsonNode tools = s.request("tools/list", Map.of()).at("/result/tools");
            assertThat(tools).hasSize(5);
            JsonNode guarded = tools.get(1);
            assertThat(guarded.get("name").asText()).isEqualTo("guarded");
            assertThat(guarded.get("description").asText()).endsWith("Requires scope parhelia:tasks.");
            assertThat(guarded.at("/inputSchema/additionalProperties").asBoolean(true)).isFalse();
            assertThat(guarded.at("/annotations/destructiveHint").asBoolean()).isTrue();
            assertThat(guarded.at("/annotations/readOnlyHint").asBoolean()).isFalse();
            assertThat(guarded.has("outputSchema")).isTrue();
        }
    }

    @Test
    void aDomainRefusalIsAnIsErrorResultWithCodeFieldAndAdvice() throws Exception {
        try (PipedMcpSession s = session(Caller.localUser())) {
            JsonNode result = s.callTool("refuses", Map.of("say", "boo"));
            assertThat(result.get("isError").asBoolean()).isTrue();
            assertThat(result.at("/structuredContent/error/code").asText()).isEqualTo("invalid_state");
            assertThat(result.at("/structuredContent/error/field").asText()).isEqualTo("say");
            assertThat(result.at("/content/0/text").asText()).isEqualTo("cannot say boo now; wait and retry");
        }
    }

    @Test
    void anUnexpectedExceptionIsAGenericIsErrorResultNotAProtocolError() throws Exception {
        try (PipedMcpSession s = session(Caller.localUser())) {
            JsonNode response = s.request("tools/call", Map.of("name", "breaks", "arguments", Map.of("say", "x")));
            assertThat(response.has("error")).as("no JSON-RPC -32603").isFalse();
            JsonNode result = response.get("result");
            assertThat(result.get("isError").asBoolean()).isTrue();
            assertThat(result.at("/structuredContent/error/code").asText()).isEqualTo("internal_error");
            assertThat(result.at("/content/0/text").asText()).contains("incident").doesNotContain("secret").doesNotContain("Exception");
        }
    }

    @Test
    void aCallerWithoutTheScopeIsRefusedAndTheToolDoesNotRun() throws Exception {
        try (PipedMcpSession s = session(new Caller("reader", Set.of(Scope.READ)))) {
            JsonNode result = s.callTool("guarded", Map.of("say", "x"));
            assertThat(result.get("isError").asBoolean()).isTrue();
            assertThat(result.at("/structuredContent/error/code").asText()).isEqualTo("insufficient_scope");
            assertThat(result.at("/content/0/text").asText()).contains("parhelia:tasks").contains("parhelia:read");
            assertThat(result.has("structuredContent") && result.at("/structuredContent/said").isMissingNode()).isTrue();
        }
    }

    @Test
    void aCallWithNoIdentityIsRefused() throws Exception {
        try (PipedMcpSession s = session(null)) {
            JsonNode result = s.callTool("echo", Map.of("say", "x"));
            assertThat(result.at("/structuredContent/error/code").asText()).isEqualTo("unauthenticated");
        }
    }

    @Test
    void badArgumentsNameTheFieldBeforeTheToolRuns() throws Exception {
        try (PipedMcpSession s = session(Caller.localUser())) {
            JsonNode missing = s.callTool("echo", Map.of());
            assertThat(missing.at("/structuredContent/error/field").asText()).isEqualTo("say");
            assertThat(missing.at("/content/0/text").asText()).startsWith("invalid arguments for echo: ").contains("'say'");

            JsonNode unknown = s.callTool("echo", Map.of("say", "x", "volume", 11));
            assertThat(unknown.at("/structuredContent/error/field").asText()).isEqualTo("volume");

            JsonNode outOfRange = s.callTool("echo", Map.of("say", "x", "times", 9));
            assertThat(outOfRange.at("/structuredContent/error/field").asText()).isEqualTo("times");
            assertThat(outOfRange.at("/content/0/text").asText()).contains("times").contains("3");
        }
    }

    @Test
    void progressIsSentOnlyWhenTheClientAskedForIt() throws Exception {
        try (PipedMcpSession s = session(Caller.localUser())) {
            s.request("tools/call", Map.of("name", "echo", "arguments", Map.of("say", "x")));
            assertThat(s.notifications.toString()).doesNotContain("notifications/progress");
            s.request("tools/call", Map.of("name", "echo", "arguments", Map.of("say", "x"),
                    "_meta", Map.of("progressToken", "p-1")));
            assertThat(s.notifications.toString()).contains("notifications/progress").contains("p-1").contains("halfway");
        }
    }

    @Test
    void scopesNest() {
        assertThat(Scope.ADMIN.grants(Scope.TASKS)).isTrue();
        assertThat(Scope.TASKS.grants(Scope.READ)).isTrue();
        assertThat(Scope.READ.grants(Scope.TASKS)).isFalse();
        assertThat(new Caller("x", Set.of(Scope.TASKS)).isAdmin()).isFalse();
        assertThat(Scope.fromValue("parhelia:admin")).contains(Scope.ADMIN);
        assertThat(Scope.fromValue("admin")).isEmpty();
    }
}
