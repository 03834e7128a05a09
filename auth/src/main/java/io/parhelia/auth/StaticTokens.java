package io.parhelia.auth;

import io.parhelia.mcp.Scope;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The tokens of {@code PARHELIA_AUTH_TOKENS} ("token1,token2"): each has every scope and is named
 * by its position ({@code env-1}, {@code env-2}, …), which is also its principal. Only their
 * SHA-256 digests are kept, and a presented token is compared with every one of them in constant
 * time, so neither the values nor which one matched leak through timing.
 */
public final class StaticTokens implements TokenVerifier {

    public static final String ENV = "PARHELIA_AUTH_TOKENS";
    /** Shorter values could be guessed; a plain hash protects only secrets that cannot. */
    static final int MIN_LENGTH = 16;

    private record Entry(String name, byte[] digest) {
    }

    private final List<Entry> entries;

    private StaticTokens(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /**
     * @param value the variable's value; null or blank gives no tokens
     * @throws IllegalArgumentException for a value shorter than {@value #MIN_LENGTH} characters or not a bearer token
     */
    public static StaticTokens parse(String value) {
        List<Entry> entries = new ArrayList<>();
        if (value != null && !value.isBlank()) {
            String[] tokens = value.split(",", -1);
            for (int i = 0; i < tokens.length; i++) {
                String token = tokens[i].strip();
                String name = "env-" + (i + 1);
                if (token.length() < MIN_LENGTH || !BearerCredentials.isToken68(token)) {
                    throw new IllegalArgumentException(ENV + ": token " + name + " must be at least " + MIN_LENGTH
                            + " characters of A-Z a-z 0-9 - . _ ~ + / (e.g. from `openssl rand -hex 32`)");
                }
                entries.add(new Entry(name, OpaqueTokens.sha256(token)));
            }
        }
        return new StaticTokens(entries);
    }

    public int size() {
        return entries.size();
    }

    @Override
    public Verification verify(String token, URI resource) {
        byte[] digest = OpaqueTokens.sha256(token);
        String matched = null;
        for (Entry entry : entries) {
            if (OpaqueTokens.sameDigest(entry.digest, digest) && matched == null) {
                matched = entry.name;
            }
        }
        return matched == null ? Verification.UNRECOGNIZED
                : new Verification.Accepted(new TokenIdentity(matched, matched, null, Set.of(Scope.ADMIN), null));
    }
}
