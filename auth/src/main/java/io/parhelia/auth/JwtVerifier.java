package io.parhelia.auth;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.nimbusds.jwt.proc.ExpiredJWTException;
import io.parhelia.mcp.Scope;
import java.net.MalformedURLException;
import java.net.URI;
import java.text.ParseException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Verifies JWT access tokens: of the embedded authorization server ({@link #embedded}) or of an
 * external issuer ({@link #external}). The signature must verify with a key of the issuer's JWKS
 * under an algorithm of an asymmetric allow-list, so {@code alg: none} and an HMAC "signed" with a
 * public key are refused before any claim is read; then {@code iss} must equal the issuer,
 * {@code aud} must name this resource (RFC 8707) or an allowed audience, and {@code exp}/{@code nbf}
 * must hold within a small clock skew. Anything without the two dots of a compact JWS is
 * {@link Verification.Unrecognized}: Parhelia's own {@code phl_} tokens have none.
 */
public final class JwtVerifier implements TokenVerifier {

    /** Asymmetric only: with a symmetric algorithm the "secret" would be a public key anyone can fetch. */
    public static final Set<JWSAlgorithm> ASYMMETRIC_ALGORITHMS = Set.of(
            JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512,
            JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512,
            JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512, JWSAlgorithm.EdDSA, JWSAlgorithm.Ed25519);
    /** What identity providers sign access tokens with, unless told otherwise. */
    public static final Set<JWSAlgorithm> EXTERNAL_DEFAULT_ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256);
    static final Duration CLOCK_SKEW = Duration.ofSeconds(30);
    private static final JOSEObjectType ACCESS_TOKEN_TYPE = new JOSEObjectType("at+jwt");

    /** The issuer expected of a token presented to a resource. */
    private final Function<URI, String> issuerFor;
    private final JWKSource<SecurityContext> keys;
    private final Set<JWSAlgorithm> algorithms;
    private final Set<String> extraAudiences;
    private final boolean requireAccessTokenType;
    private final Predicate<JWTClaimsSet> revoked;

    private JwtVerifier(Function<URI, String> issuerFor, JWKSource<SecurityContext> keys, Set<JWSAlgorithm> algorithms,
                        Collection<String> extraAudiences, boolean requireAccessTokenType, Predicate<JWTClaimsSet> revoked) {
        this.issuerFor = Objects.requireNonNull(issuerFor, "issuerFor");
        this.keys = Objects.requireNonNull(keys, "keys");
        if (algorithms.isEmpty() || !ASYMMETRIC_ALGORITHMS.containsAll(algorithms)) {
            throw new IllegalArgumentException("JWT algorithms must be asymmetric, one or more of " + names(ASYMMETRIC_ALGORITHMS)
                    + "; got " + names(algorithms));
        }
        this.algorithms = Set.copyOf(algorithms);
        this.extraAudiences = Set.copyOf(extraAudiences);
        this.requireAccessTokenType = requireAccessTokenType;
        this.revoked = revoked;
    }

    /**
     * Tokens of the embedded authorization server: ES256 with its own key, {@code typ: at+jwt}
     * (RFC 9068), issued by {@code issuerFor} the resource, audience exactly this resource, and not
     * in a grant {@code revoked} says is revoked.
     */
    static JwtVerifier embedded(Function<URI, String> issuerFor, JWKSource<SecurityContext> keys, Predicate<JWTClaimsSet> revoked) {
        return new JwtVerifier(issuerFor, keys, Set.of(JWSAlgorithm.ES256), List.of(), true, revoked);
    }

    /**
     * Tokens of an external issuer, checked against its JWKS at {@code jwksUrl} (cached, refreshed at most
     * every 30 s when an unknown {@code kid} appears). Many identity providers cannot put the MCP URL in
     * {@code aud}; {@code extraAudiences} are the other audience values accepted besides the resource.
     */
    public static JwtVerifier external(String issuer, URI jwksUrl, Set<JWSAlgorithm> algorithms, Collection<String> extraAudiences) {
        JWKSource<SecurityContext> keys;
        try {
            keys = JWKSourceBuilder.create(jwksUrl.toURL())
                    .cache(Duration.ofMinutes(15).toMillis(), Duration.ofSeconds(15).toMillis())
                    .rateLimited(Duration.ofSeconds(30).toMillis())
                    .build();
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException("the JWKS URL " + jwksUrl + " is not a URL", e);
        }
        return new JwtVerifier(resource -> issuer, keys, algorithms, extraAudiences, false, claims -> false);
    }

    @Override
    public Verification verify(String token, URI resource) {
        if (token.chars().filter(c -> c == '.').count() != 2) {
            return Verification.UNRECOGNIZED;
        }
        SignedJWT jwt;
        try {
            jwt = SignedJWT.parse(token);
        } catch (ParseException e) {
            return new Verification.Refused(Verification.Reason.MALFORMED, null, "the token is not a signed JWT");
        }
        JWTClaimsSet claims;
        try {
            claims = processor(resource).process(jwt, null);
        } catch (ExpiredJWTException e) {
            return new Verification.Refused(Verification.Reason.EXPIRED, jtiOf(jwt), "the token has expired");
        } catch (BadJOSEException | com.nimbusds.jose.JOSEException e) {
            return new Verification.Refused(Verification.Reason.INVALID, jtiOf(jwt), "the token is not valid here: " + e.getMessage());
        }
        if (revoked.test(claims)) {
            return new Verification.Refused(Verification.Reason.REVOKED, claims.getJWTID(), "the token has been revoked");
        }
        String name = claims.getJWTID() != null ? claims.getJWTID() : "jwt:" + claims.getSubject();
        return new Verification.Accepted(new TokenIdentity(claims.getSubject(), name, clientId(claims), scopes(claims),
                claims.getExpirationTime().toInstant()));
    }

    private DefaultJWTProcessor<SecurityContext> processor(URI resource) {
        DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(algorithms, keys));
        processor.setJWSTypeVerifier(requireAccessTokenType
                ? new DefaultJOSEObjectTypeVerifier<>(ACCESS_TOKEN_TYPE)
                : new DefaultJOSEObjectTypeVerifier<>(ACCESS_TOKEN_TYPE, JOSEObjectType.JWT, null));
        Set<String> audiences = new LinkedHashSet<>(extraAudiences);
        audiences.add(resource.toString());
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(audiences,
                new JWTClaimsSet.Builder().issuer(issuerFor.apply(resource)).build(), Set.of("iss", "sub", "aud", "exp"), null);
        claims.setMaxClockSkew((int) CLOCK_SKEW.toSeconds());
        processor.setJWTClaimsSetVerifier(claims);
        return processor;
    }

    private static String jtiOf(SignedJWT jwt) {
        try {
            return jwt.getJWTClaimsSet().getJWTID();
        } catch (ParseException e) {
            return null;
        }
    }

    private static String clientId(JWTClaimsSet claims) {
        Object clientId = claims.getClaim("client_id");
        Object azp = claims.getClaim("azp");
        return clientId instanceof String s ? s : azp instanceof String s ? s : null;
    }

    /** {@code scope} (RFC 9068: space-separated) or {@code scp} (a list, or a string, depending on the provider). */
    static Set<Scope> scopes(JWTClaimsSet claims) {
        Object raw = claims.getClaim("scope") != null ? claims.getClaim("scope") : claims.getClaim("scp");
        Stream<String> values = raw instanceof String s ? Arrays.stream(s.trim().split("\\s+"))
                : raw instanceof Collection<?> list ? list.stream().map(String::valueOf)
                : Stream.empty();
        return values.map(Scope::fromValue).flatMap(Optional::stream).collect(Collectors.toUnmodifiableSet());
    }

    private static String names(Set<JWSAlgorithm> algorithms) {
        return algorithms.stream().map(JWSAlgorithm::getName).sorted().collect(Collectors.joining(", "));
    }
}
