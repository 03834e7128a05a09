package io.parhelia.auth;

/** What a {@link TokenVerifier} concluded about one bearer token. */
public sealed interface Verification {

    /** The token is valid; its holder is {@code identity}. */
    record Accepted(TokenIdentity identity) implements Verification {
    }

    /**
     * The token is this verifier's kind and is refused.
     *
     * @param tokenName   the refused token's name when the verifier knows it (for the audit log), else null
     * @param description for the client's {@code error_description}: says what is wrong, never echoes the token
     */
    record Refused(Reason reason, String tokenName, String description) implements Verification {
    }

    /** Not a token this verifier issued or knows: the next verifier may. */
    record Unrecognized() implements Verification {
    }

    Unrecognized UNRECOGNIZED = new Unrecognized();

    /** Why a token was refused. */
    enum Reason {
        /** Not a well-formed bearer credential. */
        MALFORMED,
        /** No verifier knows it. */
        UNKNOWN,
        EXPIRED,
        REVOKED,
        /** Well-formed and of a known kind but invalid (a JWT's signature, issuer, audience or not-before). */
        INVALID
    }
}
