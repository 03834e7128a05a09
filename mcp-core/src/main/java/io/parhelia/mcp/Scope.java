package io.parhelia.mcp;

import java.util.Arrays;
import java.util.Optional;

/** What a caller may do. Admin implies tasks, which implies read. */
public enum Scope {
    READ("parhelia:read"), TASKS("parhelia:tasks"), ADMIN("parhelia:admin");

    private final String value;

    Scope(String value) {
        this.value = value;
    }

    /** The OAuth scope string, e.g. {@code parhelia:read}. */
    public String value() {
        return value;
    }

    /** Whether holding this scope allows what {@code required} guards. */
    public boolean grants(Scope required) {
        return ordinal() >= required.ordinal();
    }

    public static Optional<Scope> fromValue(String value) {
        return Arrays.stream(values()).filter(s -> s.value.equals(value)).findFirst();
    }
}
