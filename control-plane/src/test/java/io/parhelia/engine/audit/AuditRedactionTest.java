package io.parhelia.engine.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AuditRedactionTest {

    @Test
    void valuesUnderSecretLookingNamesAreRedactedAtAnyDepth() {
        Map<String, Object> arguments = new LinkedHashMap<>();
        arguments.put("prompt", "fix the tests");
        arguments.put("api_key", "sk-123");
        arguments.put("GITHUB_TOKEN", "ghp_abc");
        arguments.put("password", List.of("a", "b"));
        arguments.put("key", "k");
        arguments.put("labels", Map.of("Authorization", "Bearer xyz", "team", "core", "ssh-key", "AAAA"));
        arguments.put("max_tokens", 500);
        arguments.put("monkey", "banana");
        arguments.put("client_secret", null);

        Map<String, Object> kept = AuditRedaction.arguments(arguments);

        assertThat(kept).containsEntry("prompt", "fix the tests")
                .containsEntry("api_key", AuditRedaction.REDACTED)
                .containsEntry("GITHUB_TOKEN", AuditRedaction.REDACTED)
                .containsEntry("password", AuditRedaction.REDACTED)
                .containsEntry("key", AuditRedaction.REDACTED)
                .containsEntry("labels", Map.of("Authorization", AuditRedaction.REDACTED, "team", "core",
                        "ssh-key", AuditRedaction.REDACTED))
                .containsEntry("max_tokens", 500)
                .containsEntry("monkey", "banana")
                .containsEntry("client_secret", null);
        assertThat(kept.keySet()).containsExactlyElementsOf(arguments.keySet());
    }

    @Test
    void aLongStringKeepsItsHeadLengthAndHash() {
        String prompt = "x".repeat(99) + "\uD83D\uDE00" + "y".repeat(1000);
        Map<String, Object> kept = AuditRedaction.arguments(Map.of("prompt", prompt, "short", "z".repeat(256),
                "lines", List.of("w".repeat(300))));

        assertThat(kept.get("prompt")).isEqualTo(Map.of("head", "x".repeat(99), "length", prompt.length(),
                "sha256", AuditLog.sha256(prompt.getBytes(StandardCharsets.UTF_8))));
        assertThat(kept.get("short")).isEqualTo("z".repeat(256));
        assertThat(kept.get("lines")).asList().singleElement().asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                .containsEntry("length", 300).containsEntry("head", "w".repeat(100));
    }
}
