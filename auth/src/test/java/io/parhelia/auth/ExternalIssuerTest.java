package io.parhelia.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import io.parhelia.mcp.Scope;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Tokens of an external issuer, checked against its JWKS served on loopback (never beyond it). */
class ExternalIssuerTest {

    private static final String ISSUER = "https://login.example.test/tenant";
    private static final URI RESOURCE = URI.create("https://parhelia.example.test/mcp");
    private static final AtomicInteger jwksFetches = new AtomicInteger();
    static RSAKey key;
    static HttpServer jwks;
    static JwtVerifier verifier;
    static String issuerOnLoopback;

    @BeforeAll
    static void start() throws Exception {
        key = new RSAKeyGenerator(2048).keyID("k1").generate();
        byte[] body = new JWKSet(key.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
        jwks = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        jwks.createContext("/jwks", exchange -> {
            jwksFetches.incrementAndGet();
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        jwks.start();
        issuerOnLoopback = "http://127.0.0.1:" + jwks.getAddress().getPort() + "/tenant";
        byte[] metadata = ("{\"issuer\":\"" + issuerOnLoopback + "\",\"jwks_uri\":\"http://127.0.0.1:" + jwks.getAddress().getPort()
                + "/jwks\"}").getBytes(StandardCharsets.UTF_8);
        jwks.createContext("/.well-known/openid-configuration/tenant", exchange -> {
            exchange.sendResponseHeaders(200, metadata.length);
            exchange.getResponseBody().write(metadata);
            exchange.close();
        });
        verifier = JwtVerifier.external(ISSUER, URI.create("http://127.0.0.1:" + jwks.getAddress().getPort() + "/jwks"),
                Set.of(JWSAlgorithm.RS256), List.of("api://parhelia"));
    }

    @AfterAll
    static void stop() {
        jwks.stop(0);
    }

    @Test
    void aTokenOfTheIssuerIsAcceptedWithItsScpScopesAndTheKeysAreFetchedOnce() throws Exception {
        int fetchesBefore = jwksFetches.get();
        for (int i = 0; i < 3; i++) {
            Verification verification = verifier.verify(sign(claims().claim("scp", List.of("parhelia:tasks", "other")).build()), RESOURCE);

            assertThat(verification).isInstanceOfSatisfying(Verification.Accepted.class, accepted -> {
                assertThat(accepted.identity().subject()).isEqualTo("alice");
                assertThat(accepted.identity().clientId()).isEqualTo("cli");
                assertThat(accepted.identity().scopes()).containsExactly(Scope.TASKS);
            });
        }
        assertThat(jwksFetches.get() - fetchesBefore).isLessThanOrEqualTo(1);
    }

    @Test
    void anAudienceOfTheAllowListIsAccepted() throws Exception {
        assertThat(verifier.verify(sign(claims().audience("api://parhelia").build()), RESOURCE)).isInstanceOf(Verification.Accepted.class);
    }

    @Test
    void anotherAudienceIsRefused() throws Exception {
        assertInvalid(sign(claims().audience("api://someone-else").build()));
    }

    @Test
    void anotherIssuerIsRefused() throws Exception {
        assertInvalid(sign(claims().issuer("https://login.example.test/other").build()));
    }

    @Test
    void aFutureNotBeforeIsRefused() throws Exception {
        assertInvalid(sign(claims().notBeforeTime(Date.from(Instant.now().plusSeconds(600))).build()));
    }

    @Test
    void anAlgorithmOutsideTheAllowListIsRefused() throws Exception {
        SignedJWT forged = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("k1").build(), claims().build());
        forged.sign(new MACSigner(key.toPublicJWK().toJSONString().getBytes(StandardCharsets.UTF_8)));
        assertInvalid(forged.serialize());
        assertInvalid(new PlainJWT(claims().build()).serialize());
    }

    @Test
    void anExpiredTokenIsRefusedAsExpired() throws Exception {
        Verification verification = verifier.verify(sign(claims().expirationTime(Date.from(Instant.now().minusSeconds(120))).build()),
                RESOURCE);
        assertThat(verification).isInstanceOfSatisfying(Verification.Refused.class,
                refused -> assertThat(refused.reason()).isEqualTo(Verification.Reason.EXPIRED));
    }

    @Test
    void opaqueTokensAreLeftToTheOtherVerifiers() {
        assertThat(verifier.verify(OpaqueTokens.generate(), RESOURCE)).isInstanceOf(Verification.Unrecognized.class);
    }

    @Test
    void symmetricAlgorithmsCannotBeAllowed() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> JwtVerifier.external(ISSUER, URI.create("http://127.0.0.1:1/jwks"),
                Set.of(JWSAlgorithm.HS256), List.of())).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("asymmetric");
    }

    @Test
    void theJwksUrlIsFoundInTheIssuersMetadataAfterTheRfc8414PathGets404() {
        assertThat(IssuerMetadata.jwksUri(issuerOnLoopback).toString()).endsWith("/jwks");
    }

    @Test
    void metadataNamingAnotherIssuerIsNotTrusted() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> IssuerMetadata.jwksUri(issuerOnLoopback + "x"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot find the JWKS");
    }

    private static void assertInvalid(String token) {
        assertThat(verifier.verify(token, RESOURCE)).isInstanceOfSatisfying(Verification.Refused.class,
                refused -> assertThat(refused.reason()).isIn(Verification.Reason.INVALID, Verification.Reason.MALFORMED));
    }

    private static JWTClaimsSet.Builder claims() {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder().issuer(ISSUER).subject("alice").audience(RESOURCE.toString()).claim("azp", "cli")
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(300)));
    }

    private static String sign(JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).type(JOSEObjectType.JWT).keyID("k1").build(), claims);
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }
}
