with source as (

    {{ latest_versions(source('marketing', 'engagement_events'), 'id', 'occurred_at') }}

),

renamed as (

    select
        {{ stg_key('id') }} as event_id,
        upper({{ stg_text('object_type') }}) as object_type,
        {{ stg_text('object_id') }} as object_id,
        lower({{ stg_text('event_type') }}) as hubspot_event_type,
        occurred_at,
        {{ stg_text("properties ->> 'hs_url'") }} as url,
        {{ stg_text("properties ->> 'hs_form_title'") }} as form_title,
        {{ stg_text("properties ->> 'hs_form_id'") }} as form_id,
        {{ stg_text("properties ->> 'hs_email_subject'") }} as email_subject,
        {{ stg_text("properties ->> 'hs_webinar_title'") }} as webinar_title,
        {{ stg_numeric("properties ->> 'hs_attendance_minutes'") }} as attendance_minutes
    from source

)

select
    event_id,
    -- Events v3 are read for contacts only (objectType=contact)
    case when object_type = 'CONTACT' then object_id end as contact_id,
    case
        when hubspot_event_type = 'e_visited_page' and url ilike '%/pricing%' then 'pricing_page_view'
        when hubspot_event_type = 'e_visited_page' then 'page_view'
        when hubspot_event_type = 'e_opened_email' then 'email_open'
        when hubspot_event_type = 'e_clicked_email' then 'email_click'
        when hubspot_event_type = 'e_submitted_form' then 'form_submission'
        when hubspot_event_type = 'e_attended_webinar' then 'webinar_attendance'
    end as event_type,
    hubspot_event_type,
    occurred_at,
    {{ business_date('occurred_at') }} as occurred_date,
    url,
    form_title,
    form_id,
    email_subject,
    webinar_title,
    attendance_minutes
from renamed
