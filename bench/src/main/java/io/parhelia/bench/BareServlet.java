package io.parhelia.bench;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The baseline for bench/http.sh: Jetty servlets that answer every POST with fixed bytes (captured
 * replies of the real server) and do nothing else: no filter, no JSON, no MCP. Jetty, the connector
 * (plain HTTP/1.1 on loopback, no Server header) and the thread pool (200) are set up as
 * {@code io.parhelia.http.McpHttpServer} sets them up, so the difference between the two is what
 * Parhelia and the MCP SDK add.
 *
 * <pre>BareServlet --port N --content-type TYPE --reply PATH=FILE [--reply PATH=FILE ...]</pre>
 * Each {@code --reply} serves the bytes of FILE at PATH (e.g. a large reply at {@code /mcp} and a
 * small one at {@code /mcp-small}). Prints {@code port=N} on stdout once it listens (N is the
 * bound port, for {@code --port 0}), and stops on SIGTERM.
 */
public final class BareServlet {

    private static final int MAX_THREADS = 200;

    private BareServlet() {
    }

    public static void main(String[] args) throws Exception {
        int port = 0;
        String contentType = null;
        Map<String, byte[]> replies = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(required(args[i], value));
                case "--content-type" -> contentType = required(args[i], value);
                case "--reply" -> {
                    String reply = required(args[i], value);
                    int eq = reply.indexOf('=');
                    if (eq <= 0) {
                        throw new IllegalArgumentException("--reply takes PATH=FILE, got " + reply);
                    }
                    replies.put(reply.substring(0, eq), Files.readAllBytes(Path.of(reply.substring(eq + 1))));
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + "\nusage: BareServlet --port N --content-type TYPE --reply PATH=FILE [--reply PATH=FILE ...]");
            }
            i++;
        }
        if (contentType == null || replies.isEmpty()) {
            throw new IllegalArgumentException("--content-type and at least one --reply are required");
        }

        QueuedThreadPool threads = new QueuedThreadPool(MAX_THREADS);
        threads.setName("bare-http");
        Server jetty = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        ServerConnector connector = new ServerConnector(jetty, new HttpConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        jetty.addConnector(connector);

        ServletContextHandler context = new ServletContextHandler();
        context.setContextPath("/");
        String type = contentType;
        replies.forEach((path, body) -> context.addServlet(new ServletHolder(new FixedReply(body, type)), path));
        jetty.setHandler(context);
        jetty.setStopAtShutdown(true);
        jetty.start();
        System.out.println("port=" + connector.getLocalPort());
        System.out.flush();
        jetty.join();
    }

    private static String required(String option, String value) {
        if (value == null) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return value;
    }

    /** Reads the request body (as the real server must) and answers with the fixed bytes. */
    private static final class FixedReply extends HttpServlet {
        private final byte[] body;
        private final String contentType;

        FixedReply(byte[] body, String contentType) {
            this.body = body;
            this.contentType = contentType;
        }

        @Override
        protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
            try (InputStream in = request.getInputStream()) {
                in.transferTo(OutputStream.nullOutputStream());
            }
            response.setStatus(200);
            response.setContentType(contentType);
            response.getOutputStream().write(body);
        }
    }
}
