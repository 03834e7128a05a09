-- Issue 7: whether a task's agent may use the network (1) or runs without one (0). Tasks from before
-- this migration ran with the network of the machine, so they keep 1.
ALTER TABLE tasks ADD COLUMN network INTEGER NOT NULL DEFAULT 1;
