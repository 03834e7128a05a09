package io.parhelia.mcp;

import java.util.Map;

/**
 * A resource template as Parhelia declares it: an MCP view of data that clients can read and
 * subscribe to, guarded by a scope like a tool.
 *
 * @param uriTemplate e.g. {@code parhelia://tasks/{task_id}}
 * @param reader      reads one resource, given the template's variables; throws {@link ToolError}
 *                    with code {@code not_found} for a resource that does not exist or is not the caller's
 */
public record ResourceSpec(String uriTemplate, String name, String title, String description, String mimeType,
                           Scope scope, Reader reader) {

    @FunctionalInterface
    public interface Reader {
        String read(Caller caller, Map<String, String> variables) throws Exception;
    }
}
