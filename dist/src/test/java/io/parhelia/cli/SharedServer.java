package io.parhelia.cli;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One server over stdio, on a fresh home, shared by the tests of a class. Register it as a static
 * field: {@code @RegisterExtension static final SharedServer server = new SharedServer();}.
 */
final class SharedServer implements BeforeAllCallback, AfterAllCallback {

    private final UnaryOperator<McpClient.SyncSpec> customise;
    private Path home;
    private ParheliaHomeFixture fixture;
    private McpSyncClient client;

    SharedServer() {
        this(spec -> spec);
    }

    /** With client settings, e.g. consumers of progress or resource updates. */
    SharedServer(UnaryOperator<McpClient.SyncSpec> customise) {
        this.customise = customise;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        home = Files.createTempDirectory("parhelia-it-");
        fixture = new ParheliaHomeFixture(home);
        client = fixture.client(customise);
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        fixture.close();
        try (Stream<Path> files = Files.walk(home)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }

    McpSyncClient client() {
        return client;
    }

    ParheliaHomeFixture fixture() {
        return fixture;
    }

    Path home() {
        return home;
    }
}
