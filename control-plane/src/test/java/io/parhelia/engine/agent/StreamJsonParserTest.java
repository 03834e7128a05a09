package io.parhelia.engine.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class StreamJsonParserTest {

    private static final String SESSION = "4f1c2b9e-8d3a-4e55-9a0b-2f6c1d7e8a90";

    @TempDir
    Path temp;

    static List<String> transcript() throws IOException {
        try (InputStream in = StreamJsonParserTest.class.getResourceAsStream("claude-transcript.jsonl")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }

    @Test
    void realisticTranscriptGivesSessionResultCostAndUsage() throws IOException {
        Path log = temp.resolve("agent.log");
        Files.write(log, transcript());

        AgentOutput output = StreamJsonParser.parse(log);

        assertThat(output.agentSessionId()).isEqualTo(SESSION);
        assertThat(output.model()).isEqualTo("claude-sonnet-4-5-20250929");
        assertThat(output.resultSubtype()).isEqualTo("success");
        assertThat(output.isError()).isFalse();
        assertThat(output.isError()).as("the result line was read").isNotNull();
        assertThat(output.resultText()).isEqualTo("I created `hello.py`.\nIt prints \"hello\".");
        assertThat(output.totalCostUsd()).isEqualTo(new BigDecimal("0.04123455"));
        assertThat(output.inputTokens()).isEqualTo(12);
        assertThat(output.outputTokens()).isEqualTo(210);
        assertThat(output.cacheReadTokens()).isEqualTo(43324);
        assertThat(output.cacheCreationTokens()).isEqualTo(5500);
        assertThat(output.numTurns()).isEqualTo(4);
        assertThat(output.durationMs()).isEqualTo(15234);
        assertThat(output.assistantMessages()).isEqualTo(3);
        assertThat(output.toolUses()).isEqualTo(2);
        assertThat(output.lastAssistantText()).isEqualTo("I created `hello.py`.\nIt prints \"hello\".");
    }

    @Test
    void withoutAResultLineTurnsAndTokensAreEstimatedAndTheRestIsUnknown() throws IOException {
        StreamJsonParser parser = new StreamJsonParser();
        transcript().stream().filter(line -> !line.contains("\"type\":\"result\"")).forEach(parser::accept);

        AgentOutput output = parser.output();

        assertThat(output.isError()).as("no result line yet").isNull();
        assertThat(output.isError()).isNull();
        assertThat(output.resultText()).isNull();
        assertThat(output.resultSubtype()).isNull();
        assertThat(output.totalCostUsd()).isNull();
        assertThat(output.durationMs()).isNull();
        assertThat(output.agentSessionId()).isEqualTo(SESSION);
        assertThat(output.numTurns()).isEqualTo(3);
        // Message msg_01AbC is printed on two lines (one per content block) and counted once.
        assertThat(output.inputTokens()).isEqualTo(4 + 6 + 2);
        assertThat(output.outputTokens()).isEqualTo(3 + 95 + 112);
        assertThat(output.cacheReadTokens()).isEqualTo(11000 + 16012 + 16312);
        assertThat(output.cacheCreationTokens()).isEqualTo(5012 + 300 + 188);
        assertThat(output.lastAssistantText()).startsWith("I created");
    }

    @Test
    void nothingSeenMeansEverythingUnknown() {
        AgentOutput output = new StreamJsonParser().output();

        assertThat(output).isEqualTo(new AgentOutput(null, null, null, null, null, null, null, null, null, null,
                null, null, 0, 0, null));
    }

    @Test
    void garbageLinesAreTolerated() {
        StreamJsonParser parser = new StreamJsonParser();
        List<String> garbage = List.of("", "   ", "plain text", "{", "{\"type\":\"assi", "[1,2,3]", "42", "null",
                "\"just a string\"", "{\"type\":42}", "{\"type\":\"assistant\"}", "{\"type\":\"assistant\",\"message\":7}",
                "{\"type\":\"assistant\",\"message\":{\"content\":\"not a list\"}}",
                "{\"type\":\"user\",\"message\":{\"content\":[{\"type\":\"tool_result\"}]}}",
                "{\"type\":\"system\",\"subtype\":\"init\",\"model\":[\"wrong\"]}",
                "{\"type\":\"something_new\",\"session_id\":\"s-1\"}",
                "{\"type\":\"result\",\"subtype\":\"error_max_turns\",\"total_cost_usd\":\"lots\",\"num_turns\":\"x\",\"usage\":5}");
        garbage.forEach(parser::accept);

        AgentOutput output = parser.output();

        assertThat(output.agentSessionId()).isEqualTo("s-1");
        assertThat(output.resultSubtype()).isEqualTo("error_max_turns");
        assertThat(output.isError()).isTrue();
        assertThat(output.totalCostUsd()).isNull();
        assertThat(output.assistantMessages()).isEqualTo(3);
        assertThat(output.toolUses()).isZero();
    }

    @Test
    void theResultLinesValuesReplaceTheEstimates() {
        StreamJsonParser parser = new StreamJsonParser();
        parser.accept("{\"type\":\"assistant\",\"message\":{\"id\":\"m1\",\"content\":[{\"type\":\"text\",\"text\":\"a\"}],"
                + "\"usage\":{\"input_tokens\":100,\"output_tokens\":100}}}");
        assertThat(parser.output().numTurns()).isEqualTo(1);
        assertThat(parser.output().inputTokens()).isEqualTo(100);

        parser.accept("{\"type\":\"result\",\"subtype\":\"error_during_execution\",\"is_error\":true,\"num_turns\":7,"
                + "\"total_cost_usd\":1.5,\"usage\":{\"input_tokens\":9,\"output_tokens\":8}}");

        AgentOutput output = parser.output();
        assertThat(output.numTurns()).isEqualTo(7);
        assertThat(output.inputTokens()).isEqualTo(9);
        assertThat(output.outputTokens()).isEqualTo(8);
        assertThat(output.isError()).isTrue();
        assertThat(output.totalCostUsd()).isEqualByComparingTo("1.5");
    }

    @Test
    void parsingAFileSurvivesBytesThatAreNotUtf8() throws IOException {
        Path log = temp.resolve("agent.log");
        byte[] junk = {(byte) 0xff, (byte) 0xfe, 'x', (byte) 0xc3, '\n'};
        byte[] result = "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,\"result\":\"fine\"}\n"
                .getBytes(StandardCharsets.UTF_8);
        Files.write(log, junk);
        Files.write(log, result, java.nio.file.StandardOpenOption.APPEND);

        AgentOutput output = StreamJsonParser.parse(log);

        assertThat(output.resultText()).isEqualTo("fine");
        assertThat(output.isError()).isFalse();
    }
}
