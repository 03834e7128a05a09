package io.parhelia.stdio;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;

/**
 * Turns a JSON-RPC id into a comparison key. The SDK re-serializes ids it echoes, so a numeric id
 * is keyed by its value rather than its spelling; strings and numbers never collide.
 */
final class JsonRpcIds {

    private JsonRpcIds() {
    }

    /** The key of an id node, or null when the node is not a usable id (absent, null, object...). */
    static String keyOf(JsonNode id) {
        if (id == null) {
            return null;
        }
        if (id.isTextual()) {
            return forText(id.textValue());
        }
        if (id.isNumber()) {
            return forNumber(id.decimalValue());
        }
        return null;
    }

    static String forText(String text) {
        return "s:" + text;
    }

    static String forNumber(BigDecimal number) {
        return "n:" + number.stripTrailingZeros().toPlainString();
    }

    static boolean isUsableId(JsonNode id) {
        return keyOf(id) != null;
    }
}
