package io.parhelia.mcp;

import java.util.Set;

/**
 * Who is calling a tool: a principal (the local user over stdio, a token's name or a JWT's subject
 * over HTTP) and the scopes it holds.
 */
public record Caller(String principal, Set<Scope> scopes) {

    public Caller {
        scopes = Set.copyOf(scopes);
    }

    /** The user of a process-local transport: all scopes, as the spec expects for stdio. */
    public static Caller localUser() {
        return new Caller(System.getProperty("user.name", "local"), Set.of(Scope.ADMIN));
    }

    public boolean has(Scope required) {
        return scopes.stream().anyMatch(s -> s.grants(required));
    }

    public boolean isAdmin() {
        return has(Scope.ADMIN);
    }
}
