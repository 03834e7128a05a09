package io.parhelia.mcp;

/**
 * Does a tool's work. Returns the structured result (a record, map or other Jackson-serialisable
 * value matching the tool's output schema); throws {@link ToolError} for failures the caller can
 * fix. Any other exception is reported as a generic error and logged.
 */
@FunctionalInterface
public interface ToolHandler {
    Object handle(ToolCall call) throws Exception;
}
