/*
 * generate_sql.c: the statements behind `ebb generate`, kept apart from the C that runs them.
 *
 * Both data sets are one INSERT ... SELECT over generate_series: the server makes every row,
 * nothing crosses the network per row. Values come from hashint8extended(j, seed), never from
 * random(), so the same arguments give byte-identical rows.
 *
 * The realistic set is shaped by what PostgreSQL's jsonb functions cost: jsonb_build_object
 * looks up the type of every argument on every call (a quarter of a microsecond each), and
 * parsing jsonb text costs more (~20 ns a byte). So whatever depends only on the user
 * (user_details, the client context), the product or the page is built once per statement
 * into a jsonb array (an InitPlan, a pool) and picked out per row in constant time with ->;
 * per row, jsonb_build_object gets ~30 arguments. Measured on 2 cores: ~12 us per row to
 * build the row and ~6 us to insert it; 1M rows in 17-21 s. The pools cost ~0.3 s per call.
 */
#include "cmd/generate_sql.h"

const char cmd_generate_expected_shape[] =
	"id integer, triggered_at timestamp without time zone, name character varying(255), "
	"os character varying(255), platform character varying(255), "
	"device character varying(255), user_details jsonb, data jsonb";

const char cmd_generate_table_body[] =
	" (id serial PRIMARY KEY, triggered_at timestamp NOT NULL, name varchar(255),"
	" os varchar(255), platform varchar(255), device varchar(255), user_details jsonb,"
	" data jsonb)";

/* One small, predictable row per hour; i counts back from the newest row (event_0). */
const char cmd_generate_hourly_select[] =
	" (triggered_at, name, os, platform, device, user_details, data)"
	" SELECT " GENERATE_TIME_AT(
		"s.j") ","
			   " 'event_' || s.i,"
			   " (ARRAY['Linux','macOS','Windows','iOS','Android'])[1 + s.i % 5],"
			   " (ARRAY['web','desktop','mobile'])[1 + s.i % 3],"
			   " (ARRAY['laptop','desktop','phone','tablet'])[1 + s.i % 4],"
			   " jsonb_build_object('user_id', 1 + s.i % 100, 'name', 'user_' || (1 + s.i % 100)),"
			   " jsonb_build_object('seq', s.i, 'kind', 'hourly', 'source', 'ebb generate')"
			   " FROM (SELECT g.j, $2::int8 - 1 - g.j AS i"
			   " FROM generate_series(0, $2::int8 - 1) AS g(j)) s";

#define FIRST_NAME(h)                                                                              \
	"(ARRAY['Anna','Ben','Chloe','David','Emma','Felix','Grace','Hugo','Ines','Jonas','Klara',"    \
	"'Liam','Mia','Noah','Olivia','Paul'])[1 + ((" h " >> 4) & 15)]"
#define LAST_NAME(h)                                                                               \
	"(ARRAY['Smith','Mueller','Garcia','Rossi','Dubois','Kowalski','Johansson','Silva','Novak',"   \
	"'Jensen','Schmidt','Martin','Bianchi','Fischer','Moreau','Santos'])[1 + ((" h " >> 8) & 15)]"
/* Country, locale, time zone and currency go together (bits 15-17 of the user's hash). */
#define LOCALE(h)                                                                                  \
	"(ARRAY['en-US','de-DE','fr-FR','en-GB','es-ES','it-IT','nl-NL','pl-PL'])[1 + ((" h            \
	" >> 15) & 7)]"
#define TIMEZONE(h)                                                                                \
	"(ARRAY['America/New_York','Europe/Berlin','Europe/Paris','Europe/London','Europe/Madrid',"    \
	"'Europe/Rome','Europe/Amsterdam','Europe/Warsaw'])[1 + ((" h " >> 15) & 7)]"
#define CURRENCY(h)                                                                                \
	"(ARRAY['USD','EUR','EUR','GBP','EUR','EUR','EUR','PLN'])[1 + ((" h " >> 15) & 7)]"

/* The users: u, their hash h (the same as a row's hu) and a second hash h2. */
#define USERS                                                                                      \
	" FROM (SELECT u, hashint8extended(u, $4::int8 # 4) AS h,"                                     \
	" hashint8extended(u, $4::int8 # 6) AS h2 FROM generate_series(0, 16383) AS u) p"

#define USER_DETAILS                                                                               \
	"jsonb_build_object("                                                                          \
	"'user_id', 100000 + p.u,"                                                                     \
	"'email', lower(" FIRST_NAME("p.h") ") || '.' || lower(" LAST_NAME(                            \
		"p.h") ") || (p.h2 & 1023)"                                                                \
			   " || (ARRAY['@gmail.com','@outlook.com','@yahoo.com','@proton.me','@example.org',"  \
			   "'@icloud.com','@web.de','@gmx.net'])[1 + ((p.h >> 18) & 7)],"                      \
			   "'name', " FIRST_NAME("p.h") " || ' ' || " LAST_NAME(                               \
				   "p.h") ","                                                                      \
						  "'plan', "                                                               \
						  "(ARRAY['free','free','free','free','starter','starter','pro','"         \
						  "enterprise'])"                                                          \
						  "[1 + ((p.h >> 12) & 7)],"                                               \
						  "'country', (ARRAY['US','DE','FR','GB','ES','IT','NL','PL'])[1 + ((p.h " \
						  ">> 15) & 7)],"                                                          \
						  "'locale', " LOCALE(                                                     \
							  "p.h") ","                                                           \
									 "'signup_at', 1640995200 + ((p.h2 >> 10) & 67108863),"        \
									 "'email_verified', ((p.h >> 54) & 3) <> 0,"                   \
									 "'marketing_opt_in', ((p.h >> 56) & 1) = 1,"                  \
									 "'age_range', "                                               \
									 "(ARRAY['18-24','25-34','25-34','35-44','35-44','45-54','55-" \
									 "64','65+'])"                                                 \
									 "[1 + ((p.h >> 48) & 7)],"                                    \
									 "'tags', "                                                    \
									 "(ARRAY['[]'::jsonb,'[]','[\"beta\"]','[\"newsletter\"]','["  \
									 "\"beta\", \"newsletter\"]',"                                 \
									 "'[\"vip\"]','[\"churn_risk\"]','[\"newsletter\", "           \
									 "\"mobile_first\"]'])[1 + ((p.h >> 51) & 7)],"                \
									 "'lifetime_value', ((p.h2 >> 42) & 65535) * 0.05)"

/* A user keeps one device (bits 0-3 of the user's hash): os, platform, agent and screen. */
#define OS_BY_DEVICE(h)                                                                            \
	"(ARRAY['iOS','iOS','Android','Android','Android','Windows','Windows','macOS','macOS',"        \
	"'Linux','iOS','Android','Windows','macOS','ChromeOS','iPadOS'])[1 + (" h " & 15)]"
#define PLATFORM_BY_DEVICE(h)                                                                      \
	"(ARRAY['ios_app','web','android_app','web','web','web','desktop_app','web','web','web',"      \
	"'web','android_app','web','desktop_app','web','ios_app'])[1 + (" h " & 15)]"
#define DEVICE_NAME(h)                                                                             \
	"(ARRAY['iPhone 15','iPhone 13','Pixel 8','Galaxy S23','Redmi Note 12','Dell XPS 13',"         \
	"'Lenovo ThinkPad X1','MacBook Pro 14','MacBook Air M2','Framework Laptop','iPhone SE',"       \
	"'Galaxy A54','HP EliteBook 840','iMac 24','Chromebook Plus','iPad Air'])[1 + (" h " & 15)]"
#define SAFARI "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/"
#define CHROME "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/"
#define USER_AGENT(h)                                                                              \
	"(ARRAY["                                                                                      \
	"'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) " SAFARI                              \
	"17.1 Mobile/15E148 Safari/604.1',"                                                            \
	"'Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) " SAFARI                              \
	"16.6 Mobile/15E148 Safari/604.1',"                                                            \
	"'Mozilla/5.0 (Linux; Android 14; Pixel 8) " CHROME "119.0.6045.163 Mobile Safari/537.36',"    \
	"'Mozilla/5.0 (Linux; Android 13; SM-S911B) " CHROME "118.0.0.0 Mobile Safari/537.36',"        \
	"'Mozilla/5.0 (Linux; Android 13; 23021RAAEG) " CHROME "117.0.0.0 Mobile Safari/537.36',"      \
	"'Mozilla/5.0 (Windows NT 10.0; Win64; x64) " CHROME "119.0.0.0 Safari/537.36',"               \
	"'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0',"          \
	"'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) " SAFARI "17.1 Safari/605.1.15',"            \
	"'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) " CHROME "119.0.0.0 Safari/537.36',"         \
	"'Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/119.0',"                    \
	"'Mozilla/5.0 (iPhone; CPU iPhone OS 15_8 like Mac OS X) " SAFARI                              \
	"15.6 Mobile/15E148 Safari/604.1',"                                                            \
	"'Mozilla/5.0 (Linux; Android 13; SM-A546B) " CHROME "119.0.0.0 Mobile Safari/537.36',"        \
	"'Mozilla/5.0 (Windows NT 10.0; Win64; x64) " CHROME "119.0.0.0 Safari/537.36 Edg/119.0.0.0'," \
	"'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) " SAFARI "17.1 Safari/605.1.15',"               \
	"'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) " CHROME "119.0.0.0 Safari/537.36',"                \
	"'Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) " SAFARI "17.1 Mobile/15E148 Safari/604.1'"    \
	"])[1 + (" h " & 15)]"
#define SCREEN(h)                                                                                  \
	"(ARRAY['390x844@3','390x844@3','412x915@2.625','360x780@3','393x873@2.75','1920x1080@1',"     \
	"'1536x864@1.25','1512x982@2','1440x900@2','1366x768@1','375x667@2','412x915@2.625',"          \
	"'1920x1080@1','1440x900@2','1280x800@1','820x1180@2'])[1 + (" h " & 15)]"

/* The user's client: device, app version, address, locale. */
#define CONTEXT                                                                                    \
	"jsonb_build_object("                                                                          \
	"'app_version', (ARRAY['4.12.3','4.12.3','4.12.2','4.11.0','4.13.0-beta.2','4.12.3',"          \
	"'4.10.7','4.12.1'])[1 + ((p.h >> 21) & 7)],"                                                  \
	"'ip', '10.' || ((p.h >> 24) & 255) || '.' || ((p.h >> 32) & 255) || '.'"                      \
	" || ((p.h >> 40) & 255),"                                                                     \
	"'user_agent', " USER_AGENT(                                                                   \
		"p.h") ","                                                                                 \
			   "'screen', " SCREEN("p.h") ","                                                      \
										  "'locale', " LOCALE(                                     \
											  "p.h") ","                                           \
													 "'timezone', " TIMEZONE(                      \
														 "p.h") ","                                \
																"'network', "                      \
																"(ARRAY['wifi','wifi','wifi','4g'" \
																",'5g','ethernet','wifi','3g'])"   \
																"[1 + ((p.h >> 57) & 7)])"

/* The 4096 products: k and its hash h. */
#define PRODUCT                                                                                    \
	"jsonb_build_object("                                                                          \
	"'product_id', 10000 + p.k,"                                                                   \
	"'sku', 'SKU-' || (ARRAY['SH','JK','TS','BG','HT','SK','PN','GL'])[1 + (p.h & 7)] || '-'"      \
	" || (1000 + p.k),"                                                                            \
	"'name', (ARRAY['Lightweight','Waterproof','Classic','Everyday','Premium','Recycled',"         \
	"'Insulated','Breathable'])[1 + ((p.h >> 3) & 7)] || ' ' || (ARRAY['Merino','Cotton',"         \
	"'Nylon','Leather','Gore-Tex','Fleece','Canvas','Mesh'])[1 + ((p.h >> 6) & 7)] || ' ' ||"      \
	" (ARRAY['Trail Runner','Rain Jacket','Crew Tee','Daypack','Beanie','Hiking Socks',"           \
	"'Cargo Pants','Touchscreen Gloves'])[1 + (p.h & 7)],"                                         \
	"'category', (ARRAY['shoes','jackets','t-shirts','bags','hats','socks','pants','gloves'])"     \
	"[1 + (p.h & 7)],"                                                                             \
	"'price', (499 + ((p.h >> 9) & 16383)) * 0.01,"                                                \
	"'in_stock', ((p.h >> 23) & 7) <> 0)"
#define PRODUCTS                                                                                   \
	" FROM (SELECT k, hashint8extended(k, $4::int8 # 5) AS h FROM generate_series(0, 4095) AS k) " \
	"p"

/* The 1024 pages: k = path (bits 0-3), referrer (4-6), campaign (7-9). */
#define PAGE_PATH                                                                                  \
	"(ARRAY['/','/products','/products/shoes','/products/jackets','/cart','/checkout',"            \
	"'/search','/account','/blog/how-to-choose-running-shoes','/products/shoes/trail-runner-pro'," \
	"'/help/shipping','/account/orders','/','/products/shoes','/checkout/payment',"                \
	"'/products/bags/daypack-22l'])[1 + (k & 15)]"
#define PAGE                                                                                       \
	"jsonb_build_object("                                                                          \
	"'url', 'https://www.shopfront.example' || " PAGE_PATH " || (ARRAY["                           \
	"'?utm_source=newsletter&utm_medium=email&utm_campaign=spring_sale',"                          \
	"'?utm_source=facebook&utm_medium=paid_social&utm_campaign=trail_week&utm_content=carousel_3'" \
	","                                                                                            \
	"'','','','','',''])[1 + ((k >> 7) & 7)],"                                                     \
	"'referrer', (ARRAY['https://www.google.com/','https://www.google.com/','',"                   \
	"'https://www.facebook.com/','https://t.co/','https://www.bing.com/search?q=running+shoes',"   \
	"'https://news.ycombinator.com/','https://www.instagram.com/'])[1 + ((k >> 4) & 7)])"

/* One jsonb array per kind of thing, built once per statement (an InitPlan). */
#define POOL(value, from, key) "(SELECT jsonb_agg(" value " ORDER BY " key ")" from ")"

/* Per row: what changes from event to event; the rest comes from the pools. */
#define DATA                                                                                       \
	"jsonb_build_object("                                                                          \
	"'event_id', (lpad(to_hex(r.h2), 16, '0') || lpad(to_hex(r.h3), 16, '0'))::uuid::text,"        \
	"'trace_id', lpad(to_hex(r.h1 # r.h2), 16, '0') || lpad(to_hex(r.h1 # r.h3), 16, '0'),"        \
	"'session_id', lpad(to_hex(r.hu # (r.j / 37)), 16, '0'),"                                      \
	"'sequence', r.j % 37,"                                                                        \
	"'page', " POOL(                                                                               \
		PAGE, " FROM generate_series(0, 1023) AS k",                                               \
		"k") " -> ((r.h2 >> 1) & 1023)::int4,"                                                     \
			 "'context', " POOL(                                                                   \
				 CONTEXT, USERS,                                                                   \
				 "p.u") " -> r.uid::int4,"                                                         \
						"'properties', jsonb_build_object("                                        \
						"'product', " POOL(                                                        \
							PRODUCT, PRODUCTS,                                                     \
							"p.k") " -> r.pid::int4,"                                              \
								   "'quantity', 1 + ((r.h3 >> 30) & 3),"                           \
								   "'currency', " CURRENCY(                                        \
									   "r.hu") ","                                                 \
											   "'coupon', CASE WHEN ((r.h3 >> 33) & 7) = 0 THEN "  \
											   "'SPRING15' END,"                                   \
											   "'cart', "                                          \
											   "(ARRAY['[]'::jsonb,'[]','[\"SKU-SH-1042\"]','["    \
											   "\"SKU-SH-1042\", \"SKU-SK-1187\"]',"               \
											   "'[\"SKU-JK-1310\", \"SKU-TS-1022\", "              \
											   "\"SKU-HT-1075\"]','[\"SKU-BG-1400\"]','[]',"       \
											   "'[\"SKU-TS-1022\", \"SKU-TS-1023\"]'])[1 + "       \
											   "((r.h3 >> 39) & 7)]),"                             \
											   "'metrics', jsonb_build_object('load_ms', 80 + "    \
											   "((r.h2 >> 23) & 2047),"                            \
											   " 'ttfb_ms', 12 + ((r.h2 >> 34) & 255),"            \
											   " 'dom_interactive_ms', 40 + ((r.h2 >> 23) & "      \
											   "2047) / 2 + ((r.h1 >> 20) & 31)),"                 \
											   "'experiments', "                                   \
											   "(ARRAY['[]'::jsonb,'[\"checkout_v2:control\"]',"   \
											   "'[\"checkout_v2:treatment\"]','[\"search_ranking:" \
											   "b\", \"checkout_v2:control\"]'])"                  \
											   "[1 + ((r.h1 >> 18) & 3)])"

/*
 * Per row three hashes of j (h1: event, h2: page and metrics, h3: product and user), the
 * user's number (skewed: low numbers are the busy users), the product's number, and the
 * user's hash hu. OFFSET 0 keeps each computed once however often the outer level uses it.
 */
#define ROW_HASHES                                                                                 \
	"(SELECT t.*, hashint8extended(t.uid, $4::int8 # 4) AS hu"                                     \
	" FROM (SELECT s.*, (((s.h3 >> 45) & 16383) * ((s.h3 >> 45) & 16383)) >> 14 AS uid,"           \
	" (s.h3 >> 1) & 4095 AS pid"                                                                   \
	" FROM (SELECT g.j, hashint8extended(g.j, $4::int8) AS h1,"                                    \
	" hashint8extended(g.j, $4::int8 # 1) AS h2, hashint8extended(g.j, $4::int8 # 2) AS h3"        \
	" FROM generate_series(0, $2::int8 - 1) AS g(j) OFFSET 0) s) t OFFSET 0) r"

const char cmd_generate_realistic_select[] =
	" (triggered_at, name, os, platform, device, user_details, data)"
	" SELECT " GENERATE_TIME_AT(
		"r.j") ","
			   " (ARRAY['page_view','page_view','page_view','page_view','page_view','page_view','"
			   "click',"
			   "'click','click','add_to_cart','add_to_cart','search','purchase','login','signup','"
			   "share'])"
			   "[1 + (r.h1 & 15)],"
			   " " OS_BY_DEVICE("r.hu") ","
										" " PLATFORM_BY_DEVICE(
											"r.hu") ","
													" CASE WHEN ((r.h1 >> 8) & 1023) < 51 THEN "
													"NULL ELSE " DEVICE_NAME(
														"r.hu") " END,"
																" " POOL(USER_DETAILS, USERS,
																		 "p.u") " -> r.uid::int4,"
																				" " DATA
																				" FROM " ROW_HASHES;
