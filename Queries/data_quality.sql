-- title: Data quality
-- description: Every input file and what became of it: its format, status, records kept, lines rejected, duplicates dropped, the time it covers, every record read (kept or not), and for CloudTrail logs what the digests say (verified, mismatch, not_covered, or pending: delivered after the newest digest). Trail files read from a scale-out extract are listed under their source paths.
-- csv: data_quality.csv
-- order: 14
select f.path, f.format, f.status, f.records, f.rejected, f.duplicates,
       substr(f.first_event, 1, 19) || 'Z' as first_event, substr(f.last_event, 1, 19) || 'Z' as last_event, f.detail,
       f.lines as records_read, d.digest_status
from input_file f left join ct_file_digest d on d.file_id = f.id
-- A scale-out extract's part file read cleanly is the trail files it holds, each a row of its own.
where not (f.format = 'cloudtrail-extract' and f.status = 'ok')
order by case f.status when 'ok' then 2 when 'duplicate' then 1 when 'empty' then 1 else 0 end, f.path
