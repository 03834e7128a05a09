package io.parhelia.engine.agent;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Turns raw lines of an agent log into lines a person reads: stream-json events become short
 * transcript lines, anything that is not JSON (stderr, git output) passes through unchanged.
 */
public final class TranscriptRenderer {

    private static final int TOOL_RESULT_CHARS = 200;
    private static final int TOOL_INPUT_CHARS = 120;
    /** The input field that says most about a call, for the tools that have one. */
    private static final List<String> TELLING_INPUT_FIELDS =
            List.of("command", "file_path", "path", "pattern", "url", "query", "description", "prompt");

    private TranscriptRenderer() {
    }

    /** The readable lines for one raw log line; empty for events not worth showing. */
    public static List<String> render(String line) {
        Optional<JsonNode> parsed = StreamJsonParser.parseObject(line);
        if (parsed.isEmpty()) {
            return List.of(line);
        }
        JsonNode event = parsed.get();
        String type = event.path("type").asText("");
        return switch (type) {
            case "system" -> renderSystem(event);
            case "assistant" -> renderAssistant(event.path("message"));
            case "user" -> renderUser(event.path("message"));
            case "result" -> List.of(renderResult(event));
            case "stream_event" -> List.of();
            default -> List.of("[" + (type.isEmpty() ? "event" : type) + "]");
        };
    }

    private static List<String> renderSystem(JsonNode event) {
        String subtype = event.path("subtype").asText("");
        if ("init".equals(subtype)) {
            return List.of("[session " + event.path("session_id").asText("?") + " model "
                    + event.path("model").asText("?") + "]");
        }
        return List.of("[system" + (subtype.isEmpty() ? "" : " " + subtype) + "]");
    }

    private static List<String> renderAssistant(JsonNode message) {
        List<String> lines = new ArrayList<>();
        for (JsonNode block : message.path("content")) {
            switch (block.path("type").asText("")) {
                case "text" -> lines.addAll(block.path("text").asText("").lines().toList());
                case "tool_use" -> lines.add(("[tool] " + block.path("name").asText("?") + " "
                        + inputSummary(block.path("input"))).strip());
                case "thinking" -> lines.add("[thinking]");
                default -> { }
            }
        }
        return lines;
    }

    private static List<String> renderUser(JsonNode message) {
        JsonNode content = message.path("content");
        if (content.isTextual()) {
            return List.of("[user] " + oneLine(content.textValue(), TOOL_RESULT_CHARS));
        }
        List<String> lines = new ArrayList<>();
        for (JsonNode block : content) {
            switch (block.path("type").asText("")) {
                case "tool_result" -> lines.add("[tool result] " + oneLine(contentText(block.path("content")), TOOL_RESULT_CHARS));
                case "text" -> lines.add("[user] " + oneLine(block.path("text").asText(""), TOOL_RESULT_CHARS));
                default -> { }
            }
        }
        return lines;
    }

    private static String renderResult(JsonNode event) {
        StringBuilder header = new StringBuilder("[result ").append(event.path("subtype").asText("?"));
        JsonNode cost = event.path("total_cost_usd");
        if (cost.isNumber()) {
            header.append(", cost $").append(cost.decimalValue().toPlainString());
        }
        JsonNode turns = event.path("num_turns");
        if (turns.isNumber()) {
            header.append(", turns ").append(turns.asText());
        }
        header.append(']');
        String text = event.path("result").asText("");
        return text.isEmpty() ? header.toString() : header + " " + text;
    }

    /** Tool results hold a string or a list of content blocks. */
    private static String contentText(JsonNode content) {
        if (content.isTextual()) {
            return content.textValue();
        }
        StringBuilder text = new StringBuilder();
        for (JsonNode block : content) {
            if (block.path("text").isTextual()) {
                text.append(block.path("text").textValue()).append(' ');
            } else if (block.has("type")) {
                text.append('[').append(block.path("type").asText()).append("] ");
            }
        }
        return text.toString();
    }

    private static String inputSummary(JsonNode input) {
        if (!input.isObject() || input.isEmpty()) {
            return "";
        }
        for (String field : TELLING_INPUT_FIELDS) {
            if (input.path(field).isTextual()) {
                return oneLine(input.get(field).textValue(), TOOL_INPUT_CHARS);
            }
        }
        return oneLine(input.toString(), TOOL_INPUT_CHARS);
    }

    private static String oneLine(String text, int maxChars) {
        String flat = text.replaceAll("\\s+", " ").strip();
        if (flat.length() <= maxChars) {
            return flat;
        }
        int end = maxChars;
        if (Character.isHighSurrogate(flat.charAt(end - 1))) {
            end--;
        }
        return flat.substring(0, end) + "…";
    }
}
