package io.parhelia.auth;

import io.parhelia.mcp.Caller;
import io.parhelia.mcp.Scope;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * What a verified bearer token says about its holder.
 *
 * @param subject   the principal: owner of the tasks the holder creates
 * @param tokenName how the audit log names the token (never its value): {@code env-1}, a file token's name, a JWT's {@code jti}
 * @param clientId  the OAuth client it was issued to, or null
 * @param scopes    what the holder may do
 * @param expiresAt when it stops being accepted, or null for a static token that never expires
 */
public record TokenIdentity(String subject, String tokenName, String clientId, Set<Scope> scopes, Instant expiresAt) {

    public TokenIdentity {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(tokenName, "tokenName");
        scopes = Set.copyOf(scopes);
    }

    public Caller caller() {
        return new Caller(subject, scopes, tokenName, clientId);
    }
}
