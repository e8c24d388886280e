/* The report of a period (model/reports.h, tsg_hub_view_report) as a CSV file that Excel on a
 * Japanese office PC opens as it is: UTF-8 with a byte order mark, or CP932 (Shift_JIS as
 * Windows writes it) without one; CRLF line ends; fields quoted as RFC 4180 says when they hold
 * a comma, a quote, CR or LF; column headers in Japanese.  One table per figure, each starting
 * with a title row, separated by a blank line:
 *
 *     相談件数・新規ケース       期間, 集計開始月, 相談件数, 新規ケース
 *     紹介元・紹介先種別ごとの紹介件数   紹介元種別, 紹介先種別, 件数
 *     所要時間                   指標, 機関種別, 件数, 中央値(時間), 90パーセンタイル(時間)
 *     終結理由別件数             終結理由, 件数
 *     再開                       再開件数, 終結件数, 再開率
 *     会議                       会議の種類, 開催回数, 検討ケース数, 1回あたりケース数
 *     送付保留・緊急通報         送付保留件数, 緊急通報件数
 *
 * Months are written "2026年04月" (Excel would read "2026-04" as a date of its own making);
 * agency types, close reasons and meeting kinds by their Japanese names. */
#ifndef TSG_HUB_WEB_REPORT_CSV_H_INCLUDED
#define TSG_HUB_WEB_REPORT_CSV_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The CSV bytes of report (caller frees; NUL-terminated, *len bytes without the NUL), in CP932
 * when cp932 is true (a character CP932 lacks becomes '?'), else UTF-8 with BOM.  NULL when
 * report is not an object or memory ran out. */
char *tsg_hub_report_csv (const json_t *report, bool cp932, size_t *len);

/* The Japanese name of a close reason code (目標達成, 転出, ...; labels.h), or code itself when
 * unknown. */
const char *tsg_hub_close_reason_ja (const char *code);

/* The Japanese name of a time figure of the report ("to_received" → 受付まで, ...), or figure
 * itself when unknown. */
const char *tsg_hub_report_time_ja (const char *figure);

/* The Japanese name of an agency type (地域包括支援センター, ...); "all" is 全体; type itself
 * when unknown. */
const char *tsg_hub_agency_type_ja (const char *type);

#endif
