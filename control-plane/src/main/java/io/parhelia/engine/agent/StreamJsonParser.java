package io.parhelia.engine.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Reads Claude Code's {@code --output-format stream-json} output one line at a time. Lines that are
 * not JSON objects (stderr, git's clone output) and objects of unknown shape are skipped, so a whole
 * agent log can be fed in. Not thread-safe.
 */
public final class StreamJsonParser {

    private static final ObjectMapper JSON = new ObjectMapper();

    private String agentSessionId;
    private String model;
    private String resultText;
    private String resultSubtype;
    private Boolean isError;
    private BigDecimal totalCostUsd;
    private Long inputTokens;
    private Long outputTokens;
    private Long cacheReadTokens;
    private Long cacheCreationTokens;
    private Integer numTurns;
    private Long durationMs;
    private int assistantMessages;
    private int toolUses;
    private String lastAssistantText;
    /** Claude Code prints one line per content block; the lines of one message share its id. */
    private String lastAssistantMessageId;

    /** Parses a whole log, reading it as a stream. Undecodable bytes are replaced, never fatal. */
    public static AgentOutput parse(Path log) throws IOException {
        StreamJsonParser parser = new StreamJsonParser();
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(Files.newInputStream(log), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                parser.accept(line);
            }
        }
        return parser.output();
    }

    /** Takes one line of output, without its line terminator. */
    public void accept(String line) {
        Optional<JsonNode> event = parseObject(line);
        if (event.isEmpty()) {
            return;
        }
        JsonNode node = event.get();
        String sessionId = text(node, "session_id");
        if (sessionId != null) {
            agentSessionId = sessionId;
        }
        switch (node.path("type").asText("")) {
            case "system" -> acceptSystem(node);
            case "assistant" -> acceptAssistant(node.path("message"));
            case "result" -> acceptResult(node);
            default -> { }
        }
    }

    public AgentOutput output() {
        return new AgentOutput(agentSessionId, model, resultText, resultSubtype, isError, totalCostUsd,
                inputTokens, outputTokens, cacheReadTokens, cacheCreationTokens, numTurns, durationMs,
                assistantMessages, toolUses, lastAssistantText);
    }

    /** The line as a JSON object, or empty when it is anything else. */
    static Optional<JsonNode> parseObject(String line) {
        String trimmed = line.strip();
        if (!trimmed.startsWith("{")) {
            return Optional.empty();
        }
        try {
            JsonNode node = JSON.readTree(trimmed);
            return node != null && node.isObject() ? Optional.of(node) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private void acceptSystem(JsonNode node) {
        if ("init".equals(text(node, "subtype"))) {
            String initModel = text(node, "model");
            if (initModel != null) {
                model = initModel;
            }
        }
    }

    private void acceptAssistant(JsonNode message) {
        String messageId = text(message, "id");
        boolean newMessage = messageId == null || !messageId.equals(lastAssistantMessageId);
        lastAssistantMessageId = messageId;
        if (newMessage) {
            assistantMessages++;
            if (isError == null) {
                numTurns = assistantMessages;
                addUsageEstimate(message.path("usage"));
            }
        }
        if (model == null) {
            model = text(message, "model");
        }
        StringBuilder textOfMessage = new StringBuilder();
        for (JsonNode block : message.path("content")) {
            switch (block.path("type").asText("")) {
                case "text" -> {
                    if (!textOfMessage.isEmpty()) {
                        textOfMessage.append('\n');
                    }
                    textOfMessage.append(block.path("text").asText(""));
                }
                case "tool_use" -> toolUses++;
                default -> { }
            }
        }
        if (!textOfMessage.isEmpty()) {
            lastAssistantText = textOfMessage.toString();
        }
    }

    private void addUsageEstimate(JsonNode usage) {
        inputTokens = plus(inputTokens, usage, "input_tokens");
        outputTokens = plus(outputTokens, usage, "output_tokens");
        cacheReadTokens = plus(cacheReadTokens, usage, "cache_read_input_tokens");
        cacheCreationTokens = plus(cacheCreationTokens, usage, "cache_creation_input_tokens");
    }

    private void acceptResult(JsonNode node) {
        resultSubtype = text(node, "subtype");
        resultText = text(node, "result");
        JsonNode errorFlag = node.path("is_error");
        isError = errorFlag.isBoolean() ? errorFlag.booleanValue() : !"success".equals(resultSubtype);
        if (node.path("total_cost_usd").isNumber()) {
            totalCostUsd = node.get("total_cost_usd").decimalValue();
        }
        if (node.path("num_turns").canConvertToInt()) {
            numTurns = node.get("num_turns").intValue();
        }
        if (node.path("duration_ms").canConvertToLong()) {
            durationMs = node.get("duration_ms").longValue();
        }
        JsonNode usage = node.path("usage");
        if (usage.isObject()) {
            inputTokens = longOr(usage, "input_tokens", inputTokens);
            outputTokens = longOr(usage, "output_tokens", outputTokens);
            cacheReadTokens = longOr(usage, "cache_read_input_tokens", cacheReadTokens);
            cacheCreationTokens = longOr(usage, "cache_creation_input_tokens", cacheCreationTokens);
        }
    }

    private static Long plus(Long sum, JsonNode usage, String field) {
        JsonNode value = usage.path(field);
        if (!value.canConvertToLong()) {
            return sum;
        }
        return (sum == null ? 0 : sum) + value.longValue();
    }

    private static Long longOr(JsonNode usage, String field, Long fallback) {
        JsonNode value = usage.path(field);
        return value.canConvertToLong() ? Long.valueOf(value.longValue()) : fallback;
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.path(field);
        return value.isTextual() ? value.textValue() : null;
    }
}
