package io.parhelia.cli;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import java.util.function.UnaryOperator;

/**
 * One server over stdio, on a fresh home, shared by the tests of a class. Register it as a static
 * field: {@code @RegisterExtension static final SharedServer server = new SharedServer();}.
 */
final class SharedServer extends SharedHome {

    private final UnaryOperator<McpClient.SyncSpec> customise;
    private McpSyncClient client;

    SharedServer() {
        this(spec -> spec);
    }

    /** With client settings, e.g. consumers of progress or resource updates. */
    SharedServer(UnaryOperator<McpClient.SyncSpec> customise) {
        this.customise = customise;
    }

    @Override
    void start(ParheliaHomeFixture fixture) {
        // The fixture closes its clients, and with them the server process.
        client = fixture.client(customise);
    }

    McpSyncClient client() {
        return client;
    }
}
