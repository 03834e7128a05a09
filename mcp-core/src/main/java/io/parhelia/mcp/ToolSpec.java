package io.parhelia.mcp;

import java.util.Map;

/**
 * A tool as Parhelia declares it: the MCP definition plus the scope it needs.
 *
 * @param inputSchema  JSON Schema of the arguments; it should be strict (types, bounds, required, no additional properties)
 * @param outputSchema JSON Schema of the structured result
 * @param scope        what the caller must hold to call it
 */
public record ToolSpec(String name, String title, String description, Map<String, Object> inputSchema,
                       Map<String, Object> outputSchema, Hints hints, Scope scope, ToolHandler handler) {

    /**
     * The MCP tool annotations.
     *
     * @param readOnly    does not change anything
     * @param destructive may stop or remove something
     * @param idempotent  calling again with the same arguments has no further effect
     * @param openWorld   reaches beyond Parhelia (runs an agent that touches the world)
     */
    public record Hints(boolean readOnly, boolean destructive, boolean idempotent, boolean openWorld) {
        public static final Hints READ_ONLY = new Hints(true, false, true, false);
    }
}
