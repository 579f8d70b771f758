-- Shift requests (drop and swap), the inbox, and what each week looked like when it was last
-- published (for the publish confirmation's diff and for telling only the people whose shifts
-- changed). New tables only: safe on a database with data.
CREATE TYPE "public"."shift_request_kind" AS ENUM('drop', 'swap');--> statement-breakpoint
CREATE TYPE "public"."shift_request_status" AS ENUM('pending', 'accepted', 'approved', 'denied', 'declined', 'cancelled', 'expired');--> statement-breakpoint
CREATE TABLE "shift_requests" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "shift_requests_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"shift_id" integer NOT NULL,
	"kind" "shift_request_kind" NOT NULL,
	"status" "shift_request_status" DEFAULT 'pending' NOT NULL,
	"requester_id" integer NOT NULL,
	"to_user_id" integer,
	"note" text,
	"decided_by" integer,
	"decided_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "shift_requests_swap_has_colleague" CHECK (("shift_requests"."kind" = 'swap') = ("shift_requests"."to_user_id" is not null)),
	CONSTRAINT "shift_requests_not_to_oneself" CHECK ("shift_requests"."to_user_id" <> "shift_requests"."requester_id")
);
--> statement-breakpoint
CREATE TABLE "notifications" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "notifications_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"user_id" integer NOT NULL,
	"kind" text NOT NULL,
	"title" text NOT NULL,
	"body" text NOT NULL,
	"link" text NOT NULL,
	"read_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "schedule_publications" (
	"schedule_id" integer PRIMARY KEY NOT NULL,
	"published_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"shifts" jsonb NOT NULL
);
--> statement-breakpoint
ALTER TABLE "shift_requests" ADD CONSTRAINT "shift_requests_shift_id_shifts_id_fk" FOREIGN KEY ("shift_id") REFERENCES "public"."shifts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "shift_requests" ADD CONSTRAINT "shift_requests_requester_id_users_id_fk" FOREIGN KEY ("requester_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "shift_requests" ADD CONSTRAINT "shift_requests_to_user_id_users_id_fk" FOREIGN KEY ("to_user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "shift_requests" ADD CONSTRAINT "shift_requests_decided_by_users_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "schedule_publications" ADD CONSTRAINT "schedule_publications_schedule_id_schedules_id_fk" FOREIGN KEY ("schedule_id") REFERENCES "public"."schedules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- One undecided request per shift: of two made at once, the second is a 409 request_exists.
CREATE UNIQUE INDEX "shift_requests_one_open_per_shift" ON "shift_requests" USING btree ("shift_id") WHERE "shift_requests"."status" in ('pending', 'accepted');--> statement-breakpoint
CREATE INDEX "shift_requests_requester_idx" ON "shift_requests" USING btree ("requester_id");--> statement-breakpoint
CREATE INDEX "shift_requests_to_user_idx" ON "shift_requests" USING btree ("to_user_id");--> statement-breakpoint
CREATE INDEX "shift_requests_open_idx" ON "shift_requests" USING btree ("status") WHERE "shift_requests"."status" in ('pending', 'accepted');--> statement-breakpoint
CREATE INDEX "notifications_user_idx" ON "notifications" USING btree ("user_id","id");--> statement-breakpoint
CREATE INDEX "notifications_unread_idx" ON "notifications" USING btree ("user_id") WHERE "notifications"."read_at" is null;--> statement-breakpoint
CREATE INDEX "notifications_created_idx" ON "notifications" USING btree ("created_at");
