package io.parhelia.engine.agent;

import io.parhelia.engine.runtime.FakeAgent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The fake agent's own contract, which many test suites rely on, checked through the real parser. */
class FakeClaudeTest {

    @TempDir
    Path workspace;

    record Run(int exitCode, List<String> lines, AgentOutput output) {
    }

    private Run run(String stdin, String... arguments) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of(FakeAgent.path().toString()));
        argv.addAll(List.of(arguments));
        Process process = new ProcessBuilder(argv).directory(workspace.toFile()).redirectErrorStream(true).start();
        process.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().close();
        List<String> lines = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        assertThat(process.waitFor(20, TimeUnit.SECONDS)).isTrue();
        StreamJsonParser parser = new StreamJsonParser();
        lines.forEach(parser::accept);
        return new Run(process.exitValue(), lines, parser.output());
    }

    @Test
    void printsAClaudeLikeStreamWithSessionCostAndUsage() throws Exception {
        Run run = run("", "-p", "do the thing", "--output-format", "stream-json", "--verbose", "--max-turns", "5");

        assertThat(run.exitCode()).isZero();
        assertThat(run.lines()).allMatch(line -> line.startsWith("{"));
        AgentOutput output = run.output();
        assertThat(output.agentSessionId()).matches("[0-9a-f-]{36}");
        assertThat(output.model()).isNotBlank();
        assertThat(output.resultSubtype()).isEqualTo("success");
        assertThat(output.isError()).isFalse();
        assertThat(output.totalCostUsd()).isEqualByComparingTo(new BigDecimal("0.0123"));
        assertThat(output.numTurns()).isEqualTo(3);
        assertThat(output.toolUses()).isEqualTo(1);
        assertThat(output.inputTokens()).isPositive();
        assertThat(workspace.resolve("fake-agent-output.txt")).hasContent("do the thing");
        assertThat(workspace.resolve("fake-agent-argv.txt")).hasContent(
                "-p\ndo the thing\n--output-format\nstream-json\n--verbose\n--max-turns\n5");
        assertThat(run.lines().stream().flatMap(line -> TranscriptRenderer.render(line).stream()))
                .contains("[tool] Write fake-agent-output.txt");
    }

    @Test
    void resumeKeepsTheSessionIdAndIsRecorded() throws Exception {
        Run run = run("", "--resume", "sess-123", "-p", "continue", "--output-format", "stream-json", "--verbose");

        assertThat(run.output().agentSessionId()).isEqualTo("sess-123");
        assertThat(run.lines()).allMatch(line -> line.contains("\"session_id\":\"sess-123\""));
        assertThat(Files.readAllLines(workspace.resolve("fake-agent-argv.txt"))).containsSequence("--resume", "sess-123");
    }

    @Test
    void directivesSetExitStatusCostAndOutputFile() throws Exception {
        Run run = run("", "-p", "fail please exit=7 cost=2.5 write=notes/out.md", "--output-format", "stream-json");

        assertThat(run.exitCode()).isEqualTo(7);
        assertThat(run.output().isError()).isTrue();
        assertThat(run.output().resultSubtype()).isEqualTo("error_during_execution");
        assertThat(run.output().totalCostUsd()).isEqualByComparingTo("2.5");
        assertThat(workspace.resolve("fake-agent-output.txt")).doesNotExist();
    }

    @Test
    void writesNestedFileWhenItsDirectoryExists() throws Exception {
        Files.createDirectories(workspace.resolve("notes"));

        run("", "-p", "write=notes/out.md", "--output-format", "stream-json");

        assertThat(workspace.resolve("notes/out.md")).hasContent("write=notes/out.md");
    }

    @Test
    void interactiveModeEchoesStdinLinesUntilQuit() throws Exception {
        Run run = run("hello there\nsecond \"line\"\nquit\nignored\n", "-p", "interactive", "--output-format", "stream-json");

        assertThat(run.exitCode()).isZero();
        List<String> transcript = run.lines().stream().flatMap(line -> TranscriptRenderer.render(line).stream()).toList();
        assertThat(transcript).containsSubsequence("echo: hello there", "echo: second \"line\"");
        assertThat(transcript).doesNotContain("echo: ignored");
        assertThat(run.output().numTurns()).isEqualTo(5);
    }

    @Test
    void promptFromStandardInputWhenNoneIsGiven() throws Exception {
        String prompt = "from stdin \"quoted\"\n\twith tab\n\n";

        Run run = run(prompt, "-p", "--output-format", "stream-json", "--verbose");

        assertThat(run.exitCode()).isZero();
        assertThat(Files.readString(workspace.resolve("fake-agent-output.txt"))).isEqualTo(prompt);
    }

    @Test
    void textOutputIsJustTheAnswerAsInClaudeCode() throws Exception {
        Run run = run("", "-p", "hi");

        assertThat(run.lines()).containsExactly("Done. Wrote fake-agent-output.txt.");
    }

    @Test
    void unknownFlagsAreIgnored() throws Exception {
        Run run = run("", "--model", "opus", "--dangerously-skip-permissions", "-p", "ok", "--output-format=stream-json",
                "--permission-mode=acceptEdits");

        assertThat(run.exitCode()).isZero();
        assertThat(run.output().resultSubtype()).isEqualTo("success");
    }
}
