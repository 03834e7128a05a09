package io.parhelia.auth;

import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the bearer token out of a request's {@code Authorization} headers, by RFC 7235 and RFC
 * 6750 §2.1: the scheme is case-insensitive ({@code bearer} is accepted) and one or more spaces
 * may separate it from the token (the grammar's {@code 1*SP}); the token must be token68 (no inner
 * spaces, commas or quotes) and at most {@value #MAX_TOKEN_LENGTH} characters. More than one
 * {@code Authorization} header is refused rather than guessing which one counts.
 */
sealed interface BearerCredentials {

    int MAX_TOKEN_LENGTH = 4096;

    /** No bearer credentials: no header, or another scheme such as Basic. */
    record Absent(String description) implements BearerCredentials {
    }

    /** Bearer credentials that are not a usable token. */
    record Malformed(String description) implements BearerCredentials {
    }

    record Present(String token) implements BearerCredentials {
    }

    Pattern SCHEME_AND_REST = Pattern.compile("([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?: +(.*))?", Pattern.DOTALL);
    Pattern TOKEN68 = Pattern.compile("[A-Za-z0-9._~+/-]+=*");

    static BearerCredentials parse(List<String> headers) {
        if (headers.isEmpty()) {
            return new Absent("this endpoint needs a bearer token: send Authorization: Bearer <token>");
        }
        if (headers.size() > 1) {
            return new Malformed("send exactly one Authorization header");
        }
        Matcher m = SCHEME_AND_REST.matcher(headers.get(0).strip());
        if (!m.matches() || !m.group(1).toLowerCase(Locale.ROOT).equals("bearer")) {
            return new Absent("only Bearer tokens are accepted here: send Authorization: Bearer <token>");
        }
        String token = m.group(2) == null ? "" : m.group(2);
        if (token.isEmpty()) {
            return new Malformed("the Bearer credentials are empty");
        }
        if (token.length() > MAX_TOKEN_LENGTH) {
            return new Malformed("the token is longer than " + MAX_TOKEN_LENGTH + " characters");
        }
        if (!isToken68(token)) {
            return new Malformed("the token has characters a bearer token cannot have (RFC 6750 b64token)");
        }
        return new Present(token);
    }

    static boolean isToken68(String value) {
        return TOKEN68.matcher(value).matches();
    }
}
