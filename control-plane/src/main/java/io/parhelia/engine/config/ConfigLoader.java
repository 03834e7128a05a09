package io.parhelia.engine.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Resolves the configuration: built-in defaults, then {@code config.toml} in the home, then
 * {@code PARHELIA_*} environment variables, then command-line overrides. The home itself comes from
 * the flag, else {@code PARHELIA_HOME}, else {@code ~/.parhelia}; never the current directory.
 */
public final class ConfigLoader {

    static final String DEFAULTS_RESOURCE = "defaults.toml";
    private static final String ENV_PREFIX = "PARHELIA_";

    private final TomlMapper toml = new TomlMapper();
    private final ObjectMapper binder = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            // A whole-number key given 2.5 in config.toml is a mistake, not 2 (as env and --set already refuse it).
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);

    /**
     * @param homeFlag  the home from the command line, or null
     * @param env       the process environment
     * @param overrides dotted keys to values from the command line, e.g. {@code reconciler.interval_seconds=5}
     */
    public ParheliaConfig load(Path homeFlag, Map<String, String> env, Map<String, String> overrides) {
        Path home = resolveHome(homeFlag, env);
        ObjectNode tree = defaults();
        Path file = home.resolve("config.toml");
        if (Files.isRegularFile(file)) {
            merge(tree, readToml(file), file.toString(), "");
        }
        for (String key : leafKeys(tree, "")) {
            String value = env.get(ENV_PREFIX + key.replace('.', '_').toUpperCase(Locale.ROOT));
            if (value != null) {
                set(tree, key, value, "environment variable " + ENV_PREFIX + key.replace('.', '_').toUpperCase(Locale.ROOT));
            }
        }
        overrides.forEach((key, value) -> {
            if (!leafKeys(tree, "").contains(key)) {
                throw new ConfigException("unknown configuration key '" + key + "' in --set; known keys: " + leafKeys(tree, ""));
            }
            set(tree, key, value, "--set " + key);
        });
        tree.put("home", home.toString());
        try {
            return binder.treeToValue(tree, ParheliaConfig.class);
        } catch (JsonMappingException e) {
            String key = dottedKey(e);
            throw new ConfigException(key.isEmpty() ? "invalid configuration: " + e.getOriginalMessage()
                    : "configuration key '" + key + "' is invalid: " + e.getOriginalMessage(), e);
        } catch (JsonProcessingException e) {
            throw new ConfigException("invalid configuration: " + e.getOriginalMessage(), e);
        }
    }

    /** The key a binding error is about, e.g. {@code reconciler.interval_seconds} or {@code agent.command[1]}. */
    private static String dottedKey(JsonMappingException e) {
        StringBuilder key = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                key.append(key.length() == 0 ? "" : ".").append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                key.append('[').append(ref.getIndex()).append(']');
            }
        }
        return key.toString();
    }

    static Path resolveHome(Path homeFlag, Map<String, String> env) {
        if (homeFlag != null) {
            return homeFlag.toAbsolutePath().normalize();
        }
        String fromEnv = env.get("PARHELIA_HOME");
        if (fromEnv != null && !fromEnv.isBlank()) {
            Path path = Path.of(fromEnv);
            if (!path.isAbsolute()) {
                throw new ConfigException("PARHELIA_HOME must be an absolute path, got '" + fromEnv + "'");
            }
            return path.normalize();
        }
        return Path.of(System.getProperty("user.home"), ".parhelia");
    }

    private ObjectNode defaults() {
        try (InputStream in = ConfigLoader.class.getResourceAsStream(DEFAULTS_RESOURCE)) {
            return (ObjectNode) toml.readTree(in);
        } catch (IOException e) {
            throw new IllegalStateException("built-in defaults unreadable", e);
        }
    }

    private ObjectNode readToml(Path file) {
        try {
            return (ObjectNode) toml.readTree(file.toFile());
        } catch (IOException e) {
            throw new ConfigException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Copies overrides onto base, refusing keys the defaults do not have. */
    private void merge(ObjectNode base, ObjectNode overrides, String source, String prefix) {
        for (Map.Entry<String, JsonNode> field : overrides.properties()) {
            String key = prefix + field.getKey();
            JsonNode current = base.get(field.getKey());
            if (current == null) {
                throw new ConfigException("unknown configuration key '" + key + "' in " + source
                        + "; known keys: " + leafKeys(defaults(), ""));
            }
            if (current.isObject() && field.getValue().isObject()) {
                merge((ObjectNode) current, (ObjectNode) field.getValue(), source, key + ".");
            } else if (current.isObject() != field.getValue().isObject()) {
                throw new ConfigException("configuration key '" + key + "' in " + source
                        + (current.isObject() ? " must be a table" : " must be a value, not a table"));
            } else if (!sameKind(current, field.getValue())) {
                throw new ConfigException("configuration key '" + key + "' in " + source + " must be "
                        + kind(current) + ", got " + field.getValue());
            } else {
                base.set(field.getKey(), field.getValue());
            }
        }
    }

    /** Whether a value may stand where the default has its type: a whole number where one is expected, and so on. */
    private static boolean sameKind(JsonNode like, JsonNode value) {
        if (like.isIntegralNumber()) {
            return value.isIntegralNumber();
        }
        if (like.isNumber()) {
            return value.isNumber();
        }
        return like.getNodeType() == value.getNodeType();
    }

    private static String kind(JsonNode like) {
        if (like.isArray()) {
            return "a list such as [\"a\", \"b\"]";
        }
        if (like.isIntegralNumber()) {
            return "a whole number";
        }
        if (like.isNumber()) {
            return "a number";
        }
        return like.isBoolean() ? "true or false" : "a string";
    }

    /** Sets a leaf from a string, converted to the type its default has. */
    private void set(ObjectNode tree, String dottedKey, String raw, String source) {
        String[] parts = dottedKey.split("\\.");
        ObjectNode parent = tree;
        for (int i = 0; i < parts.length - 1; i++) {
            parent = (ObjectNode) parent.get(parts[i]);
        }
        String leaf = parts[parts.length - 1];
        parent.set(leaf, convert(parent.get(leaf), raw.trim(), source));
    }

    private JsonNode convert(JsonNode like, String raw, String source) {
        JsonNodeFactory nodes = JsonNodeFactory.instance;
        try {
            if (like.isArray()) {
                JsonNode parsed = binder.readTree(raw);
                if (!(parsed instanceof ArrayNode)) {
                    throw new ConfigException(source + " must be a JSON array such as [\"a\",\"b\"], got: " + raw);
                }
                return parsed;
            }
            if (like.isIntegralNumber()) {
                return nodes.numberNode(Long.parseLong(raw));
            }
            if (like.isNumber()) {
                return nodes.numberNode(Double.parseDouble(raw));
            }
            if (like.isBoolean()) {
                if (!raw.equals("true") && !raw.equals("false")) {
                    throw new ConfigException(source + " must be true or false, got: " + raw);
                }
                return nodes.booleanNode(Boolean.parseBoolean(raw));
            }
            return nodes.textNode(raw);
        } catch (NumberFormatException | JsonProcessingException e) {
            throw new ConfigException(source + " must be " + (like.isIntegralNumber() ? "a whole number" : like.isNumber()
                    ? "a number" : "a JSON array") + ", got: " + raw, e);
        }
    }

    private static List<String> leafKeys(JsonNode node, String prefix) {
        List<String> keys = new ArrayList<>();
        node.properties().forEach(field -> {
            if (field.getValue().isObject()) {
                keys.addAll(leafKeys(field.getValue(), prefix + field.getKey() + "."));
            } else {
                keys.add(prefix + field.getKey());
            }
        });
        return keys;
    }
}
