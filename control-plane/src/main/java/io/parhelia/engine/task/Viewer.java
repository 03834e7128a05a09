package io.parhelia.engine.task;

/** Who is asking: a caller without admin sees and acts on only what it owns. */
public record Viewer(String principal, boolean admin) {

    public boolean canSee(String owner) {
        return admin || principal.equals(owner);
    }
}
