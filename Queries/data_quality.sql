-- title: Data quality
-- description: Every input file and what became of it: its format, status, records kept, lines rejected, duplicates dropped, and the time it covers.
-- csv: data_quality.csv
-- order: 14
select path, format, status, records, rejected, duplicates, first_event, last_event, detail
from input_file
order by case status when 'ok' then 2 when 'duplicate' then 1 when 'empty' then 1 else 0 end, path
