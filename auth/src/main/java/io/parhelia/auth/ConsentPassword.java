package io.parhelia.auth;

import io.parhelia.mcp.Scope;
import java.net.URI;
import java.util.Set;

/**
 * The password of {@code PARHELIA_OAUTH_PASSWORD}, which a person may type on the consent page
 * instead of an admin token; it acts as principal {@value #PRINCIPAL}. It proves authority only
 * there: it is never a verifier of {@code /mcp}'s bearer tokens. Only its SHA-256 is kept, compared
 * in constant time; it must be long, and the consent page limits wrong guesses ({@link ConsentThrottle}).
 */
public final class ConsentPassword implements TokenVerifier {

    public static final String ENV = "PARHELIA_OAUTH_PASSWORD";
    public static final String PRINCIPAL = "admin";
    static final int MIN_LENGTH = 16;

    private final byte[] digest;

    private ConsentPassword(byte[] digest) {
        this.digest = digest;
    }

    /**
     * @param value the variable's value; null or empty means no password (then only admin tokens consent)
     * @throws IllegalArgumentException for a password shorter than {@value #MIN_LENGTH} characters
     */
    public static TokenVerifier parse(String value) {
        if (value == null || value.isEmpty()) {
            return (token, resource) -> Verification.UNRECOGNIZED;
        }
        if (value.length() < MIN_LENGTH) {
            throw new IllegalArgumentException(ENV + " must be at least " + MIN_LENGTH + " characters");
        }
        return new ConsentPassword(OpaqueTokens.sha256(value));
    }

    @Override
    public Verification verify(String password, URI resource) {
        return OpaqueTokens.sameDigest(digest, OpaqueTokens.sha256(password))
                ? new Verification.Accepted(new TokenIdentity(PRINCIPAL, "oauth-password", null, Set.of(Scope.ADMIN), null))
                : Verification.UNRECOGNIZED;
    }
}
