package io.parhelia.engine.agent;

import io.parhelia.engine.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AgentCommandTest {

    private static final List<String> DEFAULT_COMMAND = List.of("claude", "-p", "{prompt}", "--output-format",
            "stream-json", "--verbose", "--max-turns", "{max_turns}");
    private static final List<String> DEFAULT_RESUME = List.of("--resume", "{agent_session_id}");

    private static Map<String, String> values(String prompt) {
        return Map.of("prompt", prompt, "max_turns", "30", "task_id", "task-0123abcd", "workspace", "/work/ws");
    }

    @Test
    void placeholdersAreReplacedAndEveryOtherElementIsKept() {
        AgentCommand command = new AgentCommand(DEFAULT_COMMAND, DEFAULT_RESUME);

        AgentCommand.Rendered rendered = command.render(values("fix the tests"), null);

        assertThat(rendered.argv()).containsExactly("claude", "-p", "fix the tests", "--output-format",
                "stream-json", "--verbose", "--max-turns", "30");
        assertThat(rendered.stdin()).isNull();
    }

    @Test
    void substitutionIsOnePassSoPlaceholdersInsideThePromptStayLiteral() {
        AgentCommand command = new AgentCommand(List.of("agent", "{prompt}", "--id={task_id}"), DEFAULT_RESUME);
        String prompt = "print {task_id} and {workspace}, {max_turns} and {prompt}; also $1 \\1 ${x} {unknown}";

        List<String> argv = command.render(values(prompt), null).argv();

        assertThat(argv).containsExactly("agent", prompt, "--id=task-0123abcd");
    }

    @Test
    void placeholdersInsideALargerElementAreReplacedInPlace() {
        AgentCommand command = new AgentCommand(
                List.of("agent", "--workspace={workspace}", "--label={task_id}:{max_turns}", "{prompt}"), List.of());

        List<String> argv = command.render(values("go"), null).argv();

        assertThat(argv).containsExactly("agent", "--workspace=/work/ws", "--label=task-0123abcd:30", "go");
    }

    @Test
    void textThatOnlyLooksLikeAPlaceholderIsLeftAlone() {
        AgentCommand command = new AgentCommand(List.of("agent", "{Prompt}", "{ prompt }", "{}", "{prompt}"), List.of());

        assertThat(command.render(values("p"), null).argv()).containsExactly("agent", "{Prompt}", "{ prompt }", "{}", "p");
    }

    @Test
    void unknownPlaceholderInTheCommandIsAConfigErrorNamingKeyAndPlaceholder() {
        assertThatThrownBy(() -> new AgentCommand(List.of("claude", "-p", "{prompt}", "--model", "{model}"), DEFAULT_RESUME))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("agent.command")
                .hasMessageContaining("{model}");
    }

    @Test
    void aCommandThatNeverPassesThePromptIsAConfigError() {
        assertThatThrownBy(() -> new AgentCommand(List.of("claude", "--output-format", "stream-json"), DEFAULT_RESUME))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("agent.command")
                .hasMessageContaining("{prompt}");
    }

    @Test
    void theResumePlaceholderBelongsOnlyToResumeArgs() {
        assertThatThrownBy(() -> new AgentCommand(List.of("claude", "--resume", "{agent_session_id}"), DEFAULT_RESUME))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("agent.command")
                .hasMessageContaining("{agent_session_id}");
        assertThatThrownBy(() -> new AgentCommand(DEFAULT_COMMAND, List.of("--resume", "{session}")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("agent.resume_args")
                .hasMessageContaining("{session}");
        assertThatThrownBy(() -> new AgentCommand(DEFAULT_COMMAND, List.of("--again", "{prompt}")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("agent.resume_args");
    }

    @Test
    void emptyCommandIsAConfigError() {
        assertThatThrownBy(() -> new AgentCommand(List.of(), DEFAULT_RESUME))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("agent.command");
    }

    @Test
    void resumeArgsAreAppendedOnlyWithASessionId() {
        AgentCommand command = new AgentCommand(DEFAULT_COMMAND, DEFAULT_RESUME);

        assertThat(command.render(values("go on"), null).argv()).doesNotContain("--resume").endsWith("--max-turns", "30");
        assertThat(command.render(values("go on"), "sess-{prompt}-42").argv())
                .endsWith("--max-turns", "30", "--resume", "sess-{prompt}-42");
    }

    @Test
    void executableIsTheFirstElement() {
        assertThat(new AgentCommand(List.of("/opt/bin/agent", "{prompt}"), List.of()).executable()).isEqualTo("/opt/bin/agent");
    }

    @Test
    void promptAtTheArgumentLimitStaysAnArgument() {
        AgentCommand command = new AgentCommand(DEFAULT_COMMAND, DEFAULT_RESUME);
        String prompt = "x".repeat(AgentCommand.MAX_ARGUMENT_BYTES);

        AgentCommand.Rendered rendered = command.render(values(prompt), null);

        assertThat(rendered.stdin()).isNull();
        assertThat(rendered.argv()).contains(prompt);
    }

    @Test
    void promptOverTheLimitGoesToStandardInputAndItsElementIsLeftOut() {
        AgentCommand command = new AgentCommand(DEFAULT_COMMAND, DEFAULT_RESUME);
        String prompt = "x".repeat(AgentCommand.MAX_ARGUMENT_BYTES + 1);

        AgentCommand.Rendered rendered = command.render(values(prompt), "sess-1");

        assertThat(rendered.stdin()).isEqualTo(prompt);
        assertThat(rendered.argv()).containsExactly("claude", "-p", "--output-format", "stream-json", "--verbose",
                "--max-turns", "30", "--resume", "sess-1");
    }

    @Test
    void theLimitCountsUtf8BytesNotCharacters() {
        AgentCommand command = new AgentCommand(DEFAULT_COMMAND, DEFAULT_RESUME);
        // 60 000 characters, 120 000 bytes.
        String prompt = "\u00e9".repeat(60_000);

        AgentCommand.Rendered rendered = command.render(values(prompt), null);

        assertThat(rendered.stdin()).isEqualTo(prompt);
        assertThat(rendered.argv()).doesNotContain(prompt);
    }

    @Test
    void templateEmbeddingThePromptInALongerElementRefusesALongPrompt() {
        AgentCommand command = new AgentCommand(List.of("agent", "--prompt={prompt}"), List.of());

        assertThat(command.takesLongPrompts()).isFalse();
        assertThat(command.render(values("short"), null).argv()).containsExactly("agent", "--prompt=short");
        assertThatThrownBy(() -> command.render(values("y".repeat(AgentCommand.MAX_ARGUMENT_BYTES + 1)), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"{prompt}\"");
    }

    @Test
    void templateWithThePromptBothAloneAndEmbeddedCannotTakeALongPrompt() {
        AgentCommand command = new AgentCommand(List.of("agent", "{prompt}", "--title=[{prompt}]"), List.of());
        String prompt = "z".repeat(AgentCommand.MAX_ARGUMENT_BYTES + 1);

        assertThat(command.takesLongPrompts()).isFalse();
        assertThatThrownBy(() -> command.render(values(prompt), null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void templateWithAWholePromptElementTakesLongPrompts() {
        assertThat(new AgentCommand(DEFAULT_COMMAND, DEFAULT_RESUME).takesLongPrompts()).isTrue();
    }
}
