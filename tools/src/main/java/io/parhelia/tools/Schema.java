package io.parhelia.tools;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Small builders for the JSON Schemas of tool inputs and outputs. Inputs are strict: no unknown properties. */
final class Schema {

    private Schema() {
    }

    /** A strict input object: unknown properties are refused. */
    static Map<String, Object> input(Map<String, Object> properties, String... required) {
        Map<String, Object> schema = new LinkedHashMap<>();
        schema.put("type", "object");
        schema.put("properties", properties);
        if (required.length > 0) {
            schema.put("required", List.of(required));
        }
        schema.put("additionalProperties", false);
        return schema;
    }

    /** An output object; every property listed, the required ones always present. */
    static Map<String, Object> output(Map<String, Object> properties, String... required) {
        Map<String, Object> schema = new LinkedHashMap<>();
        schema.put("type", "object");
        schema.put("properties", properties);
        if (required.length > 0) {
            schema.put("required", List.of(required));
        }
        return schema;
    }

    static Map<String, Object> props(Object... namesAndSchemas) {
        Map<String, Object> properties = new LinkedHashMap<>();
        for (int i = 0; i < namesAndSchemas.length; i += 2) {
            properties.put((String) namesAndSchemas[i], namesAndSchemas[i + 1]);
        }
        return properties;
    }

    static Map<String, Object> string(String description) {
        return Map.of("type", "string", "description", description);
    }

    static Map<String, Object> string(String description, int minLength, int maxLength) {
        return Map.of("type", "string", "description", description, "minLength", minLength, "maxLength", maxLength);
    }

    static Map<String, Object> oneOf(String description, List<String> values) {
        return Map.of("type", "string", "description", description, "enum", values);
    }

    static Map<String, Object> integer(String description, long minimum, long maximum) {
        return Map.of("type", "integer", "description", description, "minimum", minimum, "maximum", maximum);
    }

    static Map<String, Object> number(String description, double minimum, double maximum) {
        return Map.of("type", "number", "description", description, "minimum", minimum, "maximum", maximum);
    }

    static Map<String, Object> bool(String description) {
        return Map.of("type", "boolean", "description", description);
    }

    static Map<String, Object> arrayOf(String description, Map<String, Object> items) {
        return Map.of("type", "array", "description", description, "items", items, "uniqueItems", true);
    }

    /** Output property types; "null" is allowed wherever a value may be unknown yet. */
    static Map<String, Object> nullable(String... types) {
        List<String> all = new ArrayList<>(Arrays.asList(types));
        all.add("null");
        return Map.of("type", all);
    }

    static Map<String, Object> type(String type) {
        return Map.of("type", type);
    }
}
