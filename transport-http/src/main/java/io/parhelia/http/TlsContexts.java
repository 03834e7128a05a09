package io.parhelia.http;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/** Turns the operator's certificate (PEM files or a PKCS12 keystore) into Jetty's TLS settings. */
final class TlsContexts {

    private static final Pattern PKCS8 = Pattern.compile(
            "-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

    private TlsContexts() {
    }

    static SslContextFactory.Server serverContext(HttpSettings.Tls tls) {
        SslContextFactory.Server context = new SslContextFactory.Server();
        if (tls instanceof HttpSettings.Tls.KeyStoreFile store) {
            context.setKeyStore(loadPkcs12(store.keyStore(), store.password()));
            context.setKeyStorePassword(new String(store.password()));
        } else if (tls instanceof HttpSettings.Tls.PemFiles pem) {
            char[] password = randomPassword();
            context.setKeyStore(fromPem(pem.certificate(), pem.privateKey(), password));
            context.setKeyStorePassword(new String(password));
        }
        // Clients may reach us by an address the certificate does not name (an IP behind a balancer);
        // which names are acceptable is the Host allow-list's job, not SNI's.
        context.setSniRequired(false);
        return context;
    }

    private static KeyStore loadPkcs12(Path file, char[] password) {
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password);
            if (!store.aliases().hasMoreElements()) {
                throw new IllegalArgumentException("--tls-keystore " + file + " holds no key");
            }
            return store;
        } catch (IOException e) {
            throw new IllegalArgumentException("--tls-keystore " + file + " cannot be read (wrong password or not PKCS12?): " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("--tls-keystore " + file + " is not a usable PKCS12 keystore: " + e.getMessage(), e);
        }
    }

    private static KeyStore fromPem(Path certificateFile, Path keyFile, char[] password) {
        List<Certificate> chain;
        try (InputStream in = Files.newInputStream(certificateFile)) {
            Collection<? extends Certificate> read = CertificateFactory.getInstance("X.509").generateCertificates(in);
            chain = List.copyOf(read);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("--tls-cert " + certificateFile + " is not a PEM certificate: " + e.getMessage(), e);
        }
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("--tls-cert " + certificateFile + " holds no certificate");
        }
        PrivateKey key = readPrivateKey(keyFile, chain.get(0).getPublicKey().getAlgorithm());
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, password);
            store.setKeyEntry("parhelia", key, password, chain.toArray(Certificate[]::new));
            return store;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("--tls-key " + keyFile + " does not go with --tls-cert " + certificateFile + ": " + e.getMessage(), e);
        }
    }

    private static PrivateKey readPrivateKey(Path keyFile, String algorithm) {
        String pem;
        try {
            pem = Files.readString(keyFile, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalArgumentException("--tls-key " + keyFile + " cannot be read: " + e.getMessage(), e);
        }
        Matcher m = PKCS8.matcher(pem);
        if (!m.find()) {
            throw new IllegalArgumentException("--tls-key " + keyFile + " is not an unencrypted PKCS#8 PEM key (BEGIN PRIVATE KEY); "
                    + "convert it with: openssl pkcs8 -topk8 -nocrypt -in " + keyFile + " -out key.pem");
        }
        byte[] der = Base64.getMimeDecoder().decode(m.group(1));
        try {
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (InvalidKeySpecException e) {
            throw new IllegalArgumentException("--tls-key " + keyFile + " is not a " + algorithm
                    + " key, the certificate's algorithm: " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("--tls-key " + keyFile + ": " + e.getMessage(), e);
        }
    }

    private static char[] randomPassword() {
        byte[] bytes = new byte[18];
        new SecureRandom().nextBytes(bytes);
        return Base64.getEncoder().encodeToString(bytes).toCharArray();
    }
}
