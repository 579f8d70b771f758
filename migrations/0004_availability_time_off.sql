ALTER TABLE "users" ADD COLUMN "hourly_rate" numeric(7, 2);--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "max_weekly_hours" numeric(5, 2);--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_hourly_rate_range" CHECK ("users"."hourly_rate" >= 0 and "users"."hourly_rate" <= 10000);--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_max_weekly_hours_range" CHECK ("users"."max_weekly_hours" > 0 and "users"."max_weekly_hours" <= 168);--> statement-breakpoint
CREATE TYPE "public"."time_off_status" AS ENUM('pending', 'approved', 'denied');--> statement-breakpoint
CREATE TABLE "availability" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "availability_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"user_id" integer NOT NULL,
	"weekday" smallint NOT NULL,
	"from_minute" smallint NOT NULL,
	"to_minute" smallint NOT NULL,
	CONSTRAINT "availability_weekday_range" CHECK ("availability"."weekday" between 1 and 7),
	CONSTRAINT "availability_window" CHECK ("availability"."from_minute" >= 0 and "availability"."from_minute" < "availability"."to_minute" and "availability"."to_minute" <= 1440)
);
--> statement-breakpoint
CREATE TABLE "time_off" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "time_off_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"user_id" integer NOT NULL,
	"starts_on" date NOT NULL,
	"ends_on" date NOT NULL,
	"status" "time_off_status" DEFAULT 'pending' NOT NULL,
	"note" text,
	"created_by" integer,
	"decided_by" integer,
	"decided_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "time_off_dates" CHECK ("time_off"."ends_on" >= "time_off"."starts_on" and "time_off"."ends_on" - "time_off"."starts_on" < 366)
);
--> statement-breakpoint
ALTER TABLE "availability" ADD CONSTRAINT "availability_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "time_off" ADD CONSTRAINT "time_off_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "time_off" ADD CONSTRAINT "time_off_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "time_off" ADD CONSTRAINT "time_off_decided_by_users_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "availability_user_idx" ON "availability" USING btree ("user_id","weekday");--> statement-breakpoint
CREATE INDEX "time_off_user_starts_idx" ON "time_off" USING btree ("user_id","starts_on");--> statement-breakpoint
CREATE INDEX "time_off_status_starts_idx" ON "time_off" USING btree ("status","starts_on");
