package io.parhelia.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTPS with a self-signed certificate made for the test by the JDK's keytool. */
class TlsTest {

    private static final char[] PASSWORD = "test-password".toCharArray();

    @TempDir
    static Path dir;
    static Path keyStore;
    static Path certificatePem;
    static Path keyPem;
    static SSLContext trusting;

    private final EchoServer echo = new EchoServer();
    private McpHttpServer server;

    @BeforeAll
    static void makeCertificate() throws Exception {
        keyStore = dir.resolve("server.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2",
                "-storetype", "PKCS12", "-keystore", keyStore.toString(), "-storepass", new String(PASSWORD))
                .redirectErrorStream(true).start();
        String output = new String(keytool.getInputStream().readAllBytes());
        assertThat(keytool.waitFor()).as(output).isZero();

        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStore)) {
            store.load(in, PASSWORD);
        }
        Certificate certificate = store.getCertificate("server");
        certificatePem = dir.resolve("cert.pem");
        Files.writeString(certificatePem, pem("CERTIFICATE", certificate.getEncoded()));
        keyPem = dir.resolve("key.pem");
        Files.writeString(keyPem, pem("PRIVATE KEY", store.getKey("server", PASSWORD).getEncoded()));

        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("server", certificate);
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        trusting = SSLContext.getInstance("TLS");
        trusting.init(null, factory.getTrustManagers(), null);
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.stop();
        }
    }

    private void assertToolsWorkOverHttps() {
        assertThat(server.uri().getScheme()).isEqualTo("https");
        var transport = HttpClientStreamableHttpTransport.builder("https://127.0.0.1:" + server.port())
                .endpoint("/mcp").customizeClient(builder -> builder.sslContext(trusting)).build();
        try (McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(20)).build()) {
            client.initialize();
            McpSchema.CallToolResult result = client.callTool(new McpSchema.CallToolRequest("echo", Map.of("text", "secure")));
            assertThat(((McpSchema.TextContent) result.content().get(0)).text()).isEqualTo("secure");
        }
    }

    @Test
    void servesMcpOverHttpsFromAPkcs12KeyStore() throws Exception {
        server = echo.start(HttpSettings.loopback().withTls(new HttpSettings.Tls.KeyStoreFile(keyStore, PASSWORD)));
        assertToolsWorkOverHttps();
    }

    @Test
    void servesMcpOverHttpsFromPemFiles() throws Exception {
        server = echo.start(HttpSettings.loopback().withTls(new HttpSettings.Tls.PemFiles(certificatePem, keyPem)));
        assertToolsWorkOverHttps();
    }

    @Test
    void aClientThatDoesNotTrustTheCertificateIsNotServed() throws Exception {
        server = echo.start(HttpSettings.loopback().withTls(new HttpSettings.Tls.PemFiles(certificatePem, keyPem)));
        HttpClient untrusting = HttpClient.newHttpClient();
        HttpRequest probe = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port() + "/healthz")).build();
        assertThatThrownBy(() -> untrusting.send(probe, HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(SSLHandshakeException.class);
    }

    @Test
    void aWrongKeyStorePasswordIsNamed() {
        var settings = HttpSettings.loopback().withTls(new HttpSettings.Tls.KeyStoreFile(keyStore, "wrong".toCharArray()));
        assertThatThrownBy(() -> echo.start(settings))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--tls-keystore").hasMessageContaining("password");
    }

    @Test
    void aKeyThatIsNotPkcs8SaysHowToConvertIt() throws IOException {
        Path rsa = dir.resolve("rsa.pem");
        Files.writeString(rsa, "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n");
        var settings = HttpSettings.loopback().withTls(new HttpSettings.Tls.PemFiles(certificatePem, rsa));
        assertThatThrownBy(() -> echo.start(settings))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--tls-key").hasMessageContaining("openssl pkcs8");
    }
}
