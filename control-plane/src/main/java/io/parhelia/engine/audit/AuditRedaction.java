package io.parhelia.engine.audit;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What of a tool's arguments the audit log keeps. A value under a name that looks secret (token,
 * password, secret, api key, authorization, cookie, credential, a name ending in {@code key}) is
 * replaced by {@value #REDACTED}, unless it is a number, boolean or null, which hold no secret. A
 * string longer than {@value #MAX_STRING} characters (a prompt, typed input) is replaced by its
 * first {@value #HEAD} characters, its length and its SHA-256, so the log stays small and a known
 * text can still be matched against it. Nested objects and lists get the same treatment.
 */
public final class AuditRedaction {

    public static final String REDACTED = "[redacted]";
    static final int MAX_STRING = 256;
    static final int HEAD = 100;

    private static final Pattern SECRET_NAME = Pattern.compile(
            "(?i).*(password|passwd|passphrase|secret|token|api_?key|private_?key|access_?key|credential|authorization|cookie)"
                    + ".*|(?i)(.*[_-])?key");

    private AuditRedaction() {
    }

    public static Map<String, Object> arguments(Map<String, ?> arguments) {
        Map<String, Object> kept = new LinkedHashMap<>();
        arguments.forEach((name, value) -> kept.put(name, SECRET_NAME.matcher(name).matches() && isSecretBearing(value)
                ? REDACTED : value(value)));
        return kept;
    }

    private static boolean isSecretBearing(Object value) {
        return !(value == null || value instanceof Number || value instanceof Boolean);
    }

    @SuppressWarnings("unchecked")
    private static Object value(Object value) {
        if (value instanceof Map<?, ?> map) {
            return arguments((Map<String, ?>) map);
        }
        if (value instanceof List<?> list) {
            List<Object> kept = new ArrayList<>(list.size());
            list.forEach(item -> kept.add(value(item)));
            return kept;
        }
        if (value instanceof String text && text.length() > MAX_STRING) {
            Map<String, Object> summary = new LinkedHashMap<>();
            // Never end the head on half a surrogate pair.
            summary.put("head", text.substring(0, Character.isHighSurrogate(text.charAt(HEAD - 1)) ? HEAD - 1 : HEAD));
            summary.put("length", text.length());
            summary.put("sha256", AuditLog.sha256(text.getBytes(StandardCharsets.UTF_8)));
            return summary;
        }
        return value;
    }
}
