package io.parhelia.mcp;

/**
 * A tool call that cannot be done, reported to the caller as a result with {@code isError: true}.
 * The message names the field or the state and says what to do next.
 *
 * @see ToolSpec
 */
public class ToolError extends RuntimeException {

    private final String code;
    private final String field;

    /**
     * @param code  a stable machine-readable code, e.g. {@code invalid_argument}, {@code not_found}
     * @param field the argument at fault, or null
     */
    public ToolError(String code, String field, String message) {
        super(message);
        this.code = code;
        this.field = field;
    }

    public static ToolError invalid(String field, String message) {
        return new ToolError("invalid_argument", field, message);
    }

    public String code() {
        return code;
    }

    public String field() {
        return field;
    }
}
