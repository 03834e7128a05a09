package io.parhelia.auth;

import java.net.URI;
import java.util.List;

/**
 * Turns a bearer token into an identity or a refusal. Parhelia's own tokens ({@link StaticTokens},
 * {@link TokenStore}) and JWTs (from the embedded authorization server or an external issuer) are
 * verifiers side by side in {@link #firstOf}: each answers {@link Verification.Unrecognized} for a
 * token that is not its kind, so exactly one of them decides.
 */
@FunctionalInterface
public interface TokenVerifier {

    /**
     * @param token    the credential of an {@code Authorization: Bearer} header, syntactically checked
     * @param resource the canonical URL of the MCP endpoint the token was presented to: a JWT verifier
     *                 must find it in the token's audience (RFC 8707); opaque tokens ignore it
     */
    Verification verify(String token, URI resource);

    /** Asks each verifier in order; the first that recognizes the token decides, and no one recognizing it is a refusal. */
    static TokenVerifier firstOf(List<TokenVerifier> verifiers) {
        List<TokenVerifier> chain = List.copyOf(verifiers);
        return (token, resource) -> {
            for (TokenVerifier verifier : chain) {
                Verification verification = verifier.verify(token, resource);
                if (!(verification instanceof Verification.Unrecognized)) {
                    return verification;
                }
            }
            return new Verification.Refused(Verification.Reason.UNKNOWN, null, "the token is not known to this server");
        };
    }
}
