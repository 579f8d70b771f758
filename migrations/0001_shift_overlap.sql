-- One person cannot work two shifts at once, in any schedule or location. Checked by Postgres,
-- not by code, so two concurrent writers can never both slip past a read-then-insert check.
-- Shifts are half-open intervals [starts_at, ends_at): back-to-back shifts do not overlap.
-- Drizzle's schema builder has no EXCLUDE constraint, hence this hand-written migration.
CREATE EXTENSION IF NOT EXISTS btree_gist;--> statement-breakpoint
ALTER TABLE "shifts" ADD CONSTRAINT "shifts_no_overlap_per_user"
  EXCLUDE USING gist ("user_id" WITH =, tstzrange("starts_at", "ends_at", '[)') WITH &&)
  WHERE ("user_id" IS NOT NULL);
