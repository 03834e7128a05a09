package io.parhelia.engine.agent;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class TranscriptRendererTest {

    @Test
    void rendersARealisticTranscriptReadably() throws IOException {
        List<String> rendered = StreamJsonParserTest.transcript().stream()
                .flatMap(line -> TranscriptRenderer.render(line).stream()).toList();

        assertThat(rendered).containsExactly(
                "Cloning into '.'...",
                "[session 4f1c2b9e-8d3a-4e55-9a0b-2f6c1d7e8a90 model claude-sonnet-4-5-20250929]",
                "I'll look at the project structure first.",
                "[tool] Bash ls -la",
                "[tool result] total 8 drwxr-xr-x 2 dev dev 4096 Nov 3 10:00 . drwxr-xr-x 9 dev dev 4096 Nov 3 09:58 ..",
                "npm WARN deprecated something@1.0.0: this line is stderr from a tool, not JSON",
                "[tool] Write /home/dev/proj/hello.py",
                "[tool result] File created successfully at: /home/dev/proj/hello.py",
                "",
                "I created `hello.py`.",
                "It prints \"hello\".",
                "[result success, cost $0.04123455, turns 4] I created `hello.py`.\nIt prints \"hello\".");
    }

    @Test
    void nonJsonLinesPassUnchanged() {
        assertThat(TranscriptRenderer.render("  fatal: repository 'x' does not exist  "))
                .containsExactly("  fatal: repository 'x' does not exist  ");
        assertThat(TranscriptRenderer.render("{not json")).containsExactly("{not json");
        assertThat(TranscriptRenderer.render("[1,2]")).containsExactly("[1,2]");
    }

    @Test
    void unknownEventsGetAShortTagAndStreamDeltasNothing() {
        assertThat(TranscriptRenderer.render("{\"type\":\"something_new\",\"x\":1}")).containsExactly("[something_new]");
        assertThat(TranscriptRenderer.render("{\"no_type\":true}")).containsExactly("[event]");
        assertThat(TranscriptRenderer.render("{\"type\":\"stream_event\",\"event\":{}}")).isEmpty();
        assertThat(TranscriptRenderer.render("{\"type\":\"system\",\"subtype\":\"compact_boundary\"}"))
                .containsExactly("[system compact_boundary]");
    }

    @Test
    void longToolResultsAreCutTo200Characters() {
        String longResult = "r".repeat(500);
        List<String> rendered = TranscriptRenderer.render("{\"type\":\"user\",\"message\":{\"content\":[{\"type\":"
                + "\"tool_result\",\"tool_use_id\":\"t\",\"content\":\"" + longResult + "\"}]}}");

        assertThat(rendered).containsExactly("[tool result] " + "r".repeat(200) + "…");
    }

    @Test
    void toolInputWithoutATellingFieldIsSummarisedAsCompactJson() {
        List<String> rendered = TranscriptRenderer.render("{\"type\":\"assistant\",\"message\":{\"content\":["
                + "{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"TodoWrite\",\"input\":{\"todos\":[{\"content\":\"a\"}]}},"
                + "{\"type\":\"tool_use\",\"id\":\"u\",\"name\":\"mcp__parhelia__status\",\"input\":{}}]}}");

        assertThat(rendered).containsExactly("[tool] TodoWrite {\"todos\":[{\"content\":\"a\"}]}",
                "[tool] mcp__parhelia__status");
    }

    @Test
    void resultWithoutCostOrTurnsShowsWhatItHas() {
        assertThat(TranscriptRenderer.render("{\"type\":\"result\",\"subtype\":\"error_max_turns\",\"is_error\":true}"))
                .containsExactly("[result error_max_turns]");
    }
}
