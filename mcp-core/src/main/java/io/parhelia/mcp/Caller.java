package io.parhelia.mcp;

import java.util.Set;

/**
 * Who is calling a tool: a principal (the local user over stdio, a token's subject or a JWT's
 * {@code sub} over HTTP) and the scopes it holds, plus what the audit log records about the
 * credential used. Tasks belong to the principal, so tokens with the same subject share them.
 *
 * @param tokenName the name of the token presented (e.g. {@code env-1}, {@code ci}, a JWT's {@code jti}),
 *                  never its value; null when no token was involved
 * @param clientId  the OAuth client the token was issued to; null for static and file tokens
 */
public record Caller(String principal, Set<Scope> scopes, String tokenName, String clientId) {

    public Caller {
        scopes = Set.copyOf(scopes);
    }

    /** A caller known by principal and scopes alone, with no token behind it. */
    public Caller(String principal, Set<Scope> scopes) {
        this(principal, scopes, null, null);
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
