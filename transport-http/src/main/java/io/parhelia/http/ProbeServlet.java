package io.parhelia.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /healthz} (the process answers) and {@code /readyz} (it can do its work, and is not
 * stopping) for load balancers and orchestrators. Neither checks Host or credentials: probes come
 * from the platform by address.
 */
final class ProbeServlet extends HttpServlet {

    private static final Logger log = LoggerFactory.getLogger(ProbeServlet.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final boolean readiness;
    private final Readiness.Probe probe;
    private final CallTracker calls;

    private ProbeServlet(boolean readiness, Readiness.Probe probe, CallTracker calls) {
        this.readiness = readiness;
        this.probe = probe;
        this.calls = calls;
    }

    static ProbeServlet liveness() {
        return new ProbeServlet(false, null, null);
    }

    static ProbeServlet readiness(Readiness.Probe probe, CallTracker calls) {
        return new ProbeServlet(true, probe, calls);
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        ObjectNode body = JSON.createObjectNode();
        int status = 200;
        if (!readiness) {
            body.put("status", "up");
        } else if (calls.draining()) {
            status = 503;
            body.put("status", "stopping");
        } else {
            Readiness result;
            try {
                result = probe.check();
            } catch (RuntimeException e) {
                log.warn("readiness probe failed", e);
                result = new Readiness(false, java.util.Map.of("probe", "failed: " + e.getMessage()));
            }
            status = result.ready() ? 200 : 503;
            body.put("status", result.ready() ? "ready" : "not_ready");
            body.set("checks", JSON.valueToTree(new TreeMap<>(result.checks())));
        }
        byte[] bytes = JSON.writeValueAsBytes(body);
        response.setStatus(status);
        response.setContentType("application/json");
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
    }

    @Override
    protected void doHead(HttpServletRequest request, HttpServletResponse response) throws IOException {
        doGet(request, response);
    }
}
