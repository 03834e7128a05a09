package io.parhelia.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.ParseException;

/**
 * The embedded authorization server's ES256 key, in {@code $PARHELIA_HOME/auth/oauth-signing-key.json}
 * (a private JWK, mode 0600), made on first use. Every server process on the home signs and verifies
 * with the same key: the first to start creates it, by linking a complete temporary file into place,
 * which fails when another process got there first, whose key is then read.
 */
public final class SigningKey {

    private final ECKey key;

    private SigningKey(ECKey key) {
        this.key = key;
    }

    public static SigningKey loadOrCreate(Path home) {
        Path file = home.resolve("auth").resolve("oauth-signing-key.json");
        try {
            if (!Files.exists(file)) {
                create(file);
            }
            return new SigningKey(ECKey.parse(Files.readString(file, StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the OAuth signing key " + file, e);
        } catch (ParseException e) {
            throw new IllegalStateException("the OAuth signing key " + file + " is not an EC private JWK; "
                    + "delete it to make a new one (tokens signed with it stop working)", e);
        }
    }

    private static void create(Path file) throws IOException {
        Files.createDirectories(file.getParent(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        ECKey generated;
        try {
            generated = new ECKeyGenerator(Curve.P_256).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.ES256)
                    .keyIDFromThumbprint(true).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException("every Java runtime can make a P-256 key", e);
        }
        Path temporary = Files.createTempFile(file.getParent(), "oauth-signing-key", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.writeString(temporary, generated.toJSONString(), StandardCharsets.UTF_8);
            Files.createLink(file, temporary);
        } catch (FileAlreadyExistsException raceLost) {
            // Another process made the key between our check and our link: use theirs.
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    public String keyId() {
        return key.getKeyID();
    }

    /** The public half, for the JWKS endpoint and for verifying. */
    public JWKSet publicKeys() {
        return new JWKSet(key.toPublicJWK());
    }

    public JWKSource<SecurityContext> verificationKeys() {
        return new ImmutableJWKSet<>(publicKeys());
    }

    /** Signs an RFC 9068 access token. */
    String sign(JWTClaimsSet claims) {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(new JOSEObjectType("at+jwt"))
                .keyID(key.getKeyID()).build(), claims);
        try {
            jwt.sign(new ECDSASigner(key));
        } catch (JOSEException e) {
            throw new IllegalStateException("signing with the OAuth key failed", e);
        }
        return jwt.serialize();
    }
}
