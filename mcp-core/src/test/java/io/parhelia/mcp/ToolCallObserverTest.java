package io.parhelia.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.parhelia.mcp.ToolCallObserver.ObservedCall;
import io.parhelia.mcp.ToolCallObserver.Outcome;
import io.parhelia.mcp.ToolSpec.Hints;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The observer sees every call once, with the outcome the caller got. */
class ToolCallObserverTest {

    private static final Map<String, Object> INPUT = Map.of(
            "type", "object",
            "properties", Map.of("say", Map.of("type", "string", "minLength", 1)),
            "required", List.of("say"),
            "additionalProperties", false);
    private static final Map<String, Object> OUTPUT = Map.of("type", "object");

    private static ToolSpec tool(String name, Scope scope, ToolHandler handler) {
        return new ToolSpec(name, name, "Does " + name + ".", INPUT, OUTPUT, Hints.READ_ONLY, scope, handler);
    }

    private static final List<ToolSpec> TOOLS = List.of(
            tool("echo", Scope.READ, call -> Map.of("said", call.string("say"))),
            tool("admin_only", Scope.ADMIN, call -> Map.of()),
            tool("refuses", Scope.READ, call -> {
                throw new ToolError("not_found", "say", "no such thing");
            }),
            tool("breaks", Scope.READ, call -> {
                throw new IllegalStateException("bug");
            }));

    private final List<ObservedCall> observed = new CopyOnWriteArrayList<>();

    private PipedMcpSession session(Caller caller, ToolCallObserver observer) throws Exception {
        return new PipedMcpSession(ParheliaMcpServer.builder().tools(TOOLS).callers(context -> caller)
                .observer(observer).build());
    }

    @Test
    void everyOutcomeIsObservedWithTheCallerArgumentsAndError() throws Exception {
        Caller reader = new Caller("alice", Set.of(Scope.READ), "ci-token", "client-7");
        try (PipedMcpSession s = session(reader, observed::add)) {
            s.callTool("echo", Map.of("say", "hi"));
            s.callTool("admin_only", Map.of("say", "hi"));
            s.callTool("echo", Map.of("say", ""));
            s.callTool("refuses", Map.of("say", "x"));
            s.callTool("breaks", Map.of("say", "x"));
        }
        assertThat(observed).extracting(ObservedCall::tool, ObservedCall::outcome, ObservedCall::errorCode).containsExactly(
                tuple("echo", Outcome.ALLOWED, null),
                tuple("admin_only", Outcome.REFUSED, "insufficient_scope"),
                tuple("echo", Outcome.REFUSED, "invalid_argument"),
                tuple("refuses", Outcome.FAILED, "not_found"),
                tuple("breaks", Outcome.ERROR, "internal_error"));
        ObservedCall first = observed.get(0);
        assertThat(first.caller()).isEqualTo(reader);
        assertThat(first.arguments()).isEqualTo(Map.of("say", "hi"));
        assertThat(first.errorMessage()).isNull();
        assertThat(first.duration()).isPositive();
        assertThat(observed.get(3).errorMessage()).isEqualTo("no such thing");
        assertThat(observed.get(4).errorMessage()).contains("incident").doesNotContain("bug");
    }

    @Test
    void aCallWithoutIdentityIsObservedAsRefusedWithNoCaller() throws Exception {
        try (PipedMcpSession s = session(null, observed::add)) {
            s.callTool("echo", Map.of("say", "hi"));
        }
        assertThat(observed).singleElement().satisfies(call -> {
            assertThat(call.caller()).isNull();
            assertThat(call.outcome()).isEqualTo(Outcome.REFUSED);
            assertThat(call.errorCode()).isEqualTo("unauthenticated");
        });
    }

    @Test
    void aFailingObserverDoesNotChangeTheAnswer() throws Exception {
        try (PipedMcpSession s = session(Caller.localUser(), call -> {
            throw new IllegalStateException("audit disk full");
        })) {
            assertThat(s.callTool("echo", Map.of("say", "hi")).at("/structuredContent/said").asText()).isEqualTo("hi");
        }
    }
}
