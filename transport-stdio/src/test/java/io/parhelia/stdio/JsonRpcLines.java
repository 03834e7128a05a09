package io.parhelia.stdio;

/** Raw JSON-RPC lines a client would send. */
final class JsonRpcLines {

    private JsonRpcLines() {
    }

    static String initialize(Object id) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + json(id) + ",\"method\":\"initialize\",\"params\":{"
                + "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},"
                + "\"clientInfo\":{\"name\":\"raw-test-client\",\"version\":\"1.0\"}}}";
    }

    static String initialized() {
        return "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}";
    }

    static String toolsList(Object id) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + json(id) + ",\"method\":\"tools/list\"}";
    }

    static String callTool(Object id, String tool, String argumentsJson) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + json(id) + ",\"method\":\"tools/call\",\"params\":{"
                + "\"name\":\"" + tool + "\",\"arguments\":" + argumentsJson + "}}";
    }

    static String echo(Object id, String message) {
        return callTool(id, "echo", "{\"message\":\"" + message + "\"}");
    }

    private static String json(Object id) {
        return id instanceof String text ? "\"" + text + "\"" : String.valueOf(id);
    }
}
