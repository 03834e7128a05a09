package io.parhelia.tools;

import static io.parhelia.tools.Schema.integer;
import static io.parhelia.tools.Schema.nullable;
import static io.parhelia.tools.Schema.props;
import static io.parhelia.tools.Schema.string;
import static io.parhelia.tools.Schema.type;

import io.parhelia.engine.task.Page;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** The one shape of a paged list: {@code limit} and {@code cursor} in; items, {@code count} and {@code next_cursor} out. */
final class Pages {

    static final int DEFAULT_LIMIT = 20;

    private Pages() {
    }

    static Map<String, Object> limit(String noun, int max) {
        return limit(noun, DEFAULT_LIMIT, max);
    }

    static Map<String, Object> limit(String noun, int byDefault, int max) {
        return integer(noun + " per page (default " + byDefault + ").", 1, max);
    }

    static Map<String, Object> cursor() {
        return string("next_cursor from the previous page; omit it for the first.", 1, 512);
    }

    /** The output schema: {@code key} holds items of {@code item}; extras are more properties, all required. */
    static Map<String, Object> schema(String key, Map<String, Object> item, Object... extraNamesAndSchemas) {
        Map<String, Object> properties = new LinkedHashMap<>(props(extraNamesAndSchemas));
        properties.put(key, Map.of("type", "array", "items", item));
        properties.put("count", type("integer"));
        properties.put("next_cursor", nullable("string"));
        return Schema.output(properties, properties.keySet().toArray(String[]::new));
    }

    static <T> Map<String, Object> result(String key, Page<T> page, Function<T, Map<String, Object>> view) {
        List<Map<String, Object>> views = new ArrayList<>(page.items().stream().map(view).toList());
        Map<String, Object> result = new LinkedHashMap<>();
        result.put(key, views);
        result.put("count", views.size());
        result.put("next_cursor", page.nextCursor());
        return result;
    }

    static int limit(Integer asked) {
        return limit(asked, DEFAULT_LIMIT);
    }

    static int limit(Integer asked, int byDefault) {
        return asked == null ? byDefault : asked;
    }
}
